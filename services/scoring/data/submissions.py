"""Generated applications as the ingest API takes them: for benchmarks and the demo."""

from __future__ import annotations

from typing import Any

from services.ingest.examples import example_submission
from services.scoring.data.generator import GeneratedTable


def synthetic_ssn(index: int) -> str:
    """A distinct, well-formed SSN per application (areas 100-599, never 000, 666 or 9xx), so
    every event gets its own token and its own bureau file."""
    area = 100 + index % 500
    group = 1 + (index // 500) % 99
    serial = 1 + (index // (500 * 99)) % 9999
    return f"{area:03d}{group:02d}{serial:04d}"


def submission_body(table: GeneratedTable, index: int) -> dict[str, Any]:
    """Row ``index`` of a generated table as the ingest API's body (the example's person and
    consents, the row's household, employment, financials and loan), without an id."""
    c = table.columns
    body = example_submission()
    body.pop("application_id", None)
    body["identity"]["ssn"] = synthetic_ssn(index)
    body["customer_id"] = str(c["customer_id"][index])
    body["household"].update(
        education_level=str(c["education_level"][index]),
        home_ownership=str(c["home_ownership"][index]),
    )
    body["employment"].update(
        employment_status=str(c["employment_status"][index]),
        years_employed=int(c["years_employed"][index]),
    )
    body["financials"].update(
        annual_income=float(c["annual_income"][index]),
        credit_score=int(c["credit_score"][index]),
        debt_to_income_ratio=float(c["debt_to_income_ratio"][index]),
        savings_balance=float(c["savings_balance"][index]),
        checking_balance=float(c["checking_balance"][index]),
        existing_loans=int(c["existing_loans"][index]),
        payment_history=str(c["payment_history"][index]),
    )
    body["loan"].update(
        product=str(c["loan_purpose"][index]),
        amount=float(c["requested_loan_amount"][index]),
        term_years=float(c["loan_term"][index]),
    )
    return body
