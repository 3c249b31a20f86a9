"""Verification on the generator's ground truth: what a perfect extractor would hand over."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.documents.fields import ExtractedField, ExtractedPage, PageKind, Transaction
from services.documents.requirements import missing_documents
from services.documents.synthetic import ApplicantFacts, generate_documents, invent_facts
from services.documents.verify import ApplicantClaims, bank_analytics, verify


def facts(seed: int = 5, *, self_employed: bool = False) -> ApplicantFacts:
    return invent_facts(
        random.Random(seed),
        annual_income=Decimal("62000.00"),
        age=38,
        years_employed=6,
        application_date=date(2025, 3, 14),
        self_employed=self_employed,
    )


def claims_of(
    applicant: ApplicantFacts, product: LoanProduct = LoanProduct.HOME
) -> ApplicantClaims:
    return ApplicantClaims(
        full_name=applicant.full_name,
        ssn_last4=applicant.ssn_last4,
        address_line1=applicant.address_line1,
        employer_name=applicant.employer_name,
        employment=(
            EmploymentStatus.SELF_EMPLOYED if applicant.self_employed else EmploymentStatus.EMPLOYED
        ),
        stated_annual_income=float(applicant.annual_income),
        product=product,
    )


def truth(applicant: ApplicantFacts, directory: Path, **options: object) -> list[ExtractedPage]:
    documents = generate_documents(applicant, directory, seed=11, scans=False, **options)  # type: ignore[arg-type]
    return [page for document in documents for page in document.truth]


def test_a_complete_consistent_file_verifies_the_stated_income(tmp_path: Path) -> None:
    applicant = facts()
    result = verify(truth(applicant, tmp_path), claims_of(applicant))
    assert result.missing_documents == ()
    assert result.findings == ()
    assert result.income_source is DocumentKind.W2
    assert result.verified_annual_income == pytest.approx(float(applicant.annual_income), rel=0.02)
    assert result.low_confidence_fields == ()
    assert result.bank is not None and result.bank.months >= 1
    assert result.bank.regular_monthly_income > 0


def test_income_the_documents_do_not_support_is_found(tmp_path: Path) -> None:
    applicant = facts()
    result = verify(truth(applicant, tmp_path, income_mismatch=0.6), claims_of(applicant))
    [finding] = [f for f in result.findings if f.code == "INCOME_NOT_SUPPORTED"]
    assert "67%" in finding.description  # 1 / 0.6 - 1
    assert str(int(applicant.annual_income)) not in finding.description  # no amounts


def test_missing_income_documents_leave_the_application_waiting(tmp_path: Path) -> None:
    applicant = facts()
    omitted = (PageKind.W2, PageKind.PAY_STUB, PageKind.FORM_1040)
    pages = truth(applicant, tmp_path, omit=omitted)
    result = verify(pages, claims_of(applicant, LoanProduct.CAR))
    assert result.missing_documents == (DocumentKind.W2,)
    assert result.verified_annual_income is None


def test_a_self_employed_applicant_shows_income_on_a_tax_return(tmp_path: Path) -> None:
    applicant = facts(self_employed=True)
    result = verify(truth(applicant, tmp_path), claims_of(applicant))
    assert result.income_source is DocumentKind.TAX_RETURN
    assert result.missing_documents == ()
    without = missing_documents(LoanProduct.HOME, EmploymentStatus.SELF_EMPLOYED, [PageKind.W2])
    assert DocumentKind.TAX_RETURN in without


def test_someone_elses_documents_are_found(tmp_path: Path) -> None:
    applicant = facts()
    other = claims_of(facts(seed=6))
    claims = other.model_copy(update={"stated_annual_income": float(applicant.annual_income)})
    codes = {finding.code for finding in verify(truth(applicant, tmp_path), claims).findings}
    assert {"NAME_MISMATCH", "SSN_MISMATCH", "ADDRESS_MISMATCH"} <= codes


def test_a_low_confidence_income_field_is_listed(tmp_path: Path) -> None:
    applicant = facts()
    pages = truth(applicant, tmp_path)
    blurred = []
    for page in pages:
        if page.kind is PageKind.W2:
            wages = page.fields["wages"].model_copy(update={"confidence": 0.4})
            page = page.model_copy(update={"fields": {**page.fields, "wages": wages}})
        blurred.append(page)
    assert verify(blurred, claims_of(applicant)).low_confidence_fields == ("w2.wages",)


def test_bank_analytics_from_transactions() -> None:
    def t(day: int, month: int, amount: str, balance: str, text: str = "CARD") -> Transaction:
        return Transaction(
            posted_on=date(2025, month, day), description=text, amount=amount, balance=balance
        )

    rows = [
        t(1, 1, "2000.00", "2100.00", "PAYROLL"),
        t(10, 1, "-2300.00", "-200.00", "RENT"),
        t(11, 1, "-35.00", "-235.00", "NSF FEE"),
        t(15, 1, "2000.00", "1765.00", "PAYROLL"),
        t(31, 1, "-265.00", "1500.00"),
        t(1, 2, "2000.00", "3500.00", "PAYROLL"),
        t(28, 2, "-500.00", "3000.00"),
    ]
    analytics = bank_analytics(rows)
    assert analytics is not None
    assert (analytics.months, analytics.minimum_month_end_balance) == (2, 1500.0)
    assert analytics.average_month_end_balance == 2250.0
    assert analytics.overdrafts == 2  # went below zero once, one NSF fee
    assert analytics.regular_monthly_income == 3000.0  # three 2,000 payrolls over two months
    assert bank_analytics([]) is None


def test_requirements_are_per_product() -> None:
    employed = EmploymentStatus.EMPLOYED
    assert missing_documents(LoanProduct.GOLD, employed, []) == (DocumentKind.IDENTITY_DOCUMENT,)
    home = missing_documents(LoanProduct.HOME, employed, [PageKind.PAY_STUB])
    assert home == (
        DocumentKind.IDENTITY_DOCUMENT,
        DocumentKind.BANK_STATEMENT,
        DocumentKind.UTILITY_BILL,
    )
    field = ExtractedField(value="1", confidence=1.0, source="ground_truth")
    assert field.confidence == 1.0


def test_an_income_document_whose_income_was_not_read_goes_to_a_person(tmp_path: Path) -> None:
    applicant = facts()
    pages = [
        page.model_copy(update={"fields": {k: v for k, v in page.fields.items() if k != "wages"}})
        if page.kind is PageKind.W2
        else page
        for page in truth(applicant, tmp_path, kinds=[PageKind.W2, PageKind.GOVERNMENT_ID])
    ]
    result = verify(pages, claims_of(applicant, LoanProduct.CAR))
    assert result.verified_annual_income is None
    assert result.missing_documents == ()
    assert result.low_confidence_fields == ("w2.wages",)


@pytest.mark.parametrize(
    ("read", "finding"),
    [("Dana Reyos", None), ("Dana Rey", "NAME_MISMATCH"), ("Marcus Reyes", "NAME_MISMATCH")],
)
def test_one_ocr_slip_in_a_long_name_is_not_another_person(
    tmp_path: Path, read: str, finding: str | None
) -> None:
    applicant = facts().model_copy(update={"full_name": "Dana Reyes"})
    name = ExtractedField(value=read, confidence=0.95, source="ocr")
    page = ExtractedPage(
        page_number=1,
        kind=PageKind.GOVERNMENT_ID,
        kind_confidence=0.99,
        fields={"full_name": name},
    )
    codes = [f.code for f in verify([page], claims_of(applicant, LoanProduct.GOLD)).findings]
    assert codes == ([finding] if finding else [])


def test_a_barely_read_name_proves_no_mismatch(tmp_path: Path) -> None:
    applicant = facts()
    name = ExtractedField(value="oe", confidence=0.06, source="ocr")
    page = ExtractedPage(
        page_number=1, kind=PageKind.W2, kind_confidence=0.99, fields={"employee_name": name}
    )
    result = verify([page], claims_of(applicant, LoanProduct.GOLD))
    assert "NAME_MISMATCH" not in [f.code for f in result.findings]


def statement(
    fields: dict[str, str], *, confidence: float = 0.97, kind: PageKind = PageKind.PROFIT_AND_LOSS
) -> ExtractedPage:
    return ExtractedPage(
        page_number=1,
        kind=kind,
        kind_confidence=0.95,
        fields={
            name: ExtractedField(value=value, confidence=confidence, source="ocr")
            for name, value in fields.items()
        },
    )


def test_a_self_employed_applicant_may_show_income_on_a_profit_and_loss_statement(
    tmp_path: Path,
) -> None:
    applicant = facts(self_employed=True)
    pages = truth(applicant, tmp_path, omit=[PageKind.FORM_1040])
    assert PageKind.PROFIT_AND_LOSS in {page.kind for page in pages}
    result = verify(pages, claims_of(applicant))
    assert result.income_source is DocumentKind.PROFIT_AND_LOSS
    assert result.verified_annual_income == float(applicant.annual_income)
    assert result.missing_documents == ()
    assert result.findings == () and result.low_confidence_fields == ()
    (page,) = [page for page in pages if page.kind is PageKind.PROFIT_AND_LOSS]
    assert result.business_revenue == float(page.fields["gross_revenue"].value)
    assert result.business_revenue > result.verified_annual_income
    assert result.business_profit == float(applicant.annual_income)


def test_the_tax_return_wins_over_a_profit_and_loss_statement(tmp_path: Path) -> None:
    applicant = facts(self_employed=True)
    pages = [
        statement({"net_profit": "30000.00", "gross_revenue": "45000.00"})
        if page.kind is PageKind.PROFIT_AND_LOSS
        else page
        for page in truth(applicant, tmp_path)
    ]
    result = verify(pages, claims_of(applicant))
    assert result.income_source is DocumentKind.TAX_RETURN
    assert result.verified_annual_income == float(applicant.annual_income)
    assert "INCOME_NOT_SUPPORTED" not in {finding.code for finding in result.findings}
    # Revenue and profit still come from the statement, which says more about the business.
    assert (result.business_revenue, result.business_profit) == (45000.0, 30000.0)


def test_business_profit_falls_back_to_the_tax_return(tmp_path: Path) -> None:
    applicant = facts(self_employed=True)
    pages = truth(applicant, tmp_path, omit=[PageKind.PROFIT_AND_LOSS])
    result = verify(pages, claims_of(applicant))
    assert result.business_profit == float(applicant.annual_income)
    assert result.business_revenue is None
    assert verify(truth(facts(), tmp_path / "w2"), claims_of(facts())).business_profit is None


@pytest.mark.parametrize(
    ("period", "profit", "annual"),
    [
        (("2024-01-01", "2024-12-31"), "48000.00", 48000.0),
        (("2024-03-01", "2025-02-28"), "48000.00", 48000.0),
        (("2024-07-01", "2024-12-31"), "24000.00", 48000.0),  # six months
        (("2025-01-01", "2025-03-31"), "10000.01", 40000.04),  # a quarter
        (("2023-01-01", "2024-12-31"), "96000.00", 48000.0),  # two years
        (("2024-12-31", "2024-01-01"), "48000.00", 48000.0),  # backwards: taken as a year
        (None, "20000.00", 20000.0),  # no period read: taken as a year
    ],
)
def test_a_statement_over_another_period_is_annualised(
    period: tuple[str, str] | None, profit: str, annual: float
) -> None:
    applicant = facts(self_employed=True)
    fields = {"net_profit": profit, "gross_revenue": f"{Decimal(profit) * 2:.2f}"}
    if period is not None:
        fields |= {"period_start": period[0], "period_end": period[1]}
    result = verify([statement(fields)], claims_of(applicant, LoanProduct.CAR))
    assert result.income_source is DocumentKind.PROFIT_AND_LOSS
    assert result.verified_annual_income == annual
    assert result.business_profit == annual
    assert result.business_revenue == pytest.approx(annual * 2)


def test_an_unread_or_doubtful_net_profit_goes_to_a_person() -> None:
    applicant = facts(self_employed=True)
    claims = claims_of(applicant, LoanProduct.CAR)
    unread = verify([statement({"gross_revenue": "90000.00"})], claims)
    assert unread.verified_annual_income is None
    assert unread.low_confidence_fields == ("profit_and_loss.net_profit",)
    doubtful = verify([statement({"net_profit": "60000.00"}, confidence=0.5)], claims)
    assert doubtful.low_confidence_fields == ("profit_and_loss.net_profit",)
    # For an employee a statement is no income evidence: nothing to read, a W-2 to ask for.
    employee = claims.model_copy(update={"employment": EmploymentStatus.EMPLOYED})
    result = verify([statement({"gross_revenue": "90000.00"})], employee)
    assert result.low_confidence_fields == ()
    assert result.verified_annual_income is None and result.income_source is None
    assert result.missing_documents == (DocumentKind.W2, DocumentKind.IDENTITY_DOCUMENT)


def test_a_statement_owned_by_someone_else_is_found() -> None:
    applicant = facts(self_employed=True).model_copy(update={"full_name": "Dana Reyes"})
    claims = claims_of(applicant, LoanProduct.GOLD)
    other = verify([statement({"owner_name": "Marcus Okafor"})], claims)
    assert [finding.code for finding in other.findings] == ["NAME_MISMATCH"]
    assert verify([statement({"owner_name": "DANA REYES"})], claims).findings == ()


def test_a_profit_and_loss_statement_meets_a_self_employed_income_requirement() -> None:
    self_employed = EmploymentStatus.SELF_EMPLOYED
    rest = [PageKind.GOVERNMENT_ID, PageKind.BANK_STATEMENT, PageKind.UTILITY_BILL]
    assert missing_documents(LoanProduct.HOME, self_employed, [*rest]) == (DocumentKind.TAX_RETURN,)
    assert missing_documents(LoanProduct.HOME, self_employed, [*rest, PageKind.FORM_1040]) == ()
    with_statement = [*rest, PageKind.PROFIT_AND_LOSS]
    assert missing_documents(LoanProduct.HOME, self_employed, with_statement) == ()
    employed = missing_documents(LoanProduct.HOME, EmploymentStatus.EMPLOYED, with_statement)
    assert employed == (DocumentKind.W2,)
