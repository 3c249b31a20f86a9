"""What the extracted documents say about the application: income, identity, banking.

Pure logic over ``ExtractedPage``s, whichever extractor read them. The stage turns the
``Verification`` into a status: missing documents → awaiting documents; a field the decision
rests on read with low confidence → a person looks; stated income the documents do not support
→ the finding goes on the event for the later stages.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.common.contracts.stages import BankStatementSummary
from services.documents.fields import ExtractedField, ExtractedPage, PageKind, Transaction
from services.documents.requirements import (
    DEFAULT_REQUIREMENTS,
    INCOME,
    Requirements,
    evidence,
    missing_documents,
)

PAY_PERIODS_PER_YEAR: Final = {14: 26, 7: 52, 15: 24, 16: 24, 30: 12, 31: 12}


class ApplicantClaims(EventModel):
    """What the application states, that documents can confirm."""

    full_name: str
    ssn_last4: str = Field(pattern=r"^\d{4}$")
    address_line1: str
    employer_name: str | None = None
    employment: EmploymentStatus
    stated_annual_income: float = Field(ge=0)
    product: LoanProduct


class Finding(EventModel):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    description: str = Field(max_length=200, description="No personal values: relative terms.")


BankAnalytics = BankStatementSummary


class Verification(EventModel):
    missing_documents: tuple[DocumentKind, ...]
    verified_annual_income: float | None
    income_source: DocumentKind | None
    findings: tuple[Finding, ...]
    low_confidence_fields: tuple[str, ...] = Field(
        description="kind.field names read below the confidence the decision needs."
    )
    bank: BankAnalytics | None = None
    business_revenue: float | None = Field(
        default=None, description="A profit-and-loss statement's revenue, annualised."
    )
    business_profit: float | None = Field(
        default=None,
        description=(
            "A profit-and-loss statement's net profit, annualised; else Form 1040's business "
            "income."
        ),
    )


IncomeDocument = Literal["w2", "pay_stub", "form_1040", "profit_and_loss"]


def verify(
    pages: Sequence[ExtractedPage],
    claims: ApplicantClaims,
    *,
    income_tolerance: float = 0.15,
    min_confidence: float = 0.8,
    requirements: Requirements = DEFAULT_REQUIREMENTS,
) -> Verification:
    kinds = [page.kind for page in pages]
    findings: list[Finding] = []
    income, source, used = _income(pages, claims)
    if income is not None and claims.stated_annual_income > income * (1 + income_tolerance):
        findings.append(
            Finding(
                code="INCOME_NOT_SUPPORTED",
                description=(
                    f"Stated income is {claims.stated_annual_income / income - 1:.0%} above "
                    "the income the documents show."
                ),
            )
        )
    findings.extend(_consistency(pages, claims, min_confidence))
    low = {name for name, field in used if field.confidence < min_confidence}
    if income is None:
        low |= _unread_income(kinds, claims.employment)
    revenue, profit = _business(pages)
    return Verification(
        missing_documents=missing_documents(claims.product, claims.employment, kinds, requirements),
        verified_annual_income=None if income is None else round(income, 2),
        income_source=source,
        findings=tuple(findings),
        low_confidence_fields=tuple(sorted(low)),
        bank=bank_analytics(
            [t for page in pages if page.kind is PageKind.BANK_STATEMENT for t in page.transactions]
        ),
        business_revenue=revenue,
        business_profit=profit,
    )


def _income(
    pages: Sequence[ExtractedPage], claims: ApplicantClaims
) -> tuple[float | None, DocumentKind | None, list[tuple[str, ExtractedField]]]:
    """Annual income from the best document: a W-2, else a pay stub, else a tax return. The
    self-employed show no W-2 or pay stub: the tax return's business income, else a
    profit-and-loss statement's net profit (annualised), else the tax return's total income."""
    by_kind = _first_of_each_kind(pages)
    if claims.employment is not EmploymentStatus.SELF_EMPLOYED and PageKind.W2 in by_kind:
        wages = by_kind[PageKind.W2].fields.get("wages")
        if wages is not None:
            return float(wages.value), DocumentKind.W2, [("w2.wages", wages)]
    stub = by_kind.get(PageKind.PAY_STUB)
    if stub is not None and claims.employment is not EmploymentStatus.SELF_EMPLOYED:
        annual = _annualised_pay(stub)
        if annual is not None:
            used = [(f"pay_stub.{name}", stub.fields[name]) for name in ("gross_pay",)]
            return annual, DocumentKind.PAY_STUB, used
    tax = by_kind.get(PageKind.FORM_1040)
    statement = by_kind.get(PageKind.PROFIT_AND_LOSS)
    if claims.employment is EmploymentStatus.SELF_EMPLOYED:
        business = tax.fields.get("business_income") if tax is not None else None
        if business is not None:
            used = [("form_1040.business_income", business)]
            return float(business.value), DocumentKind.TAX_RETURN, used
        profit = statement.fields.get("net_profit") if statement is not None else None
        if statement is not None and profit is not None:
            annual = _annualised(statement, "net_profit")
            used = [("profit_and_loss.net_profit", profit)]
            return annual, DocumentKind.PROFIT_AND_LOSS, used
    if tax is not None:
        name = "business_income" if "business_income" in tax.fields else "total_income"
        if name in tax.fields:
            field = tax.fields[name]
            return float(field.value), DocumentKind.TAX_RETURN, [(f"form_1040.{name}", field)]
    return None, None, []


def _first_of_each_kind(pages: Sequence[ExtractedPage]) -> dict[PageKind, ExtractedPage]:
    return {page.kind: page for page in reversed(pages)}


_INCOME_FIELDS: Final = {
    PageKind.W2: "w2.wages",
    PageKind.PAY_STUB: "pay_stub.gross_pay",
    PageKind.FORM_1040: "form_1040.total_income",
    PageKind.PROFIT_AND_LOSS: "profit_and_loss.net_profit",
}


def _unread_income(kinds: Sequence[PageKind], employment: EmploymentStatus) -> set[str]:
    """An income document is there but no income could be read from it: the field a person
    must read, as if read with no confidence. Only documents that count as income evidence
    for this applicant (``requirements.evidence``) are named."""
    usable = set(evidence(INCOME, employment))
    return {_INCOME_FIELDS[kind] for kind in kinds if kind in usable}


DAYS_PER_MONTH: Final = Decimal("365.25") / 12


def _months_covered(statement: ExtractedPage) -> int | None:
    """The statement's period in whole months (a calendar year and twelve months from the 1st
    are both 12); None when the period was not read or makes no sense."""
    start, end = statement.fields.get("period_start"), statement.fields.get("period_end")
    if start is None or end is None:
        return None
    days = (date.fromisoformat(end.value) - date.fromisoformat(start.value)).days + 1
    if days < 1:
        return None
    return max(1, int((days / DAYS_PER_MONTH).to_integral_value(ROUND_HALF_UP)))


def _annualised(statement: ExtractedPage, name: str) -> float:
    """A profit-and-loss amount over twelve months: scaled by 12 / the months its period
    covers, to the cent. A statement whose period was not read is taken as a year's, the
    usual span (a shorter one's income is then understated, not inflated)."""
    amount = Decimal(statement.fields[name].value)
    months = _months_covered(statement)
    if months is not None and months != 12:
        amount = (amount * 12 / months).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(amount)


def _business(pages: Sequence[ExtractedPage]) -> tuple[float | None, float | None]:
    """Annual business revenue and profit: a profit-and-loss statement's, annualised; the
    profit falls back to Form 1040's business income."""
    by_kind = _first_of_each_kind(pages)
    statement = by_kind.get(PageKind.PROFIT_AND_LOSS)
    revenue = profit = None
    if statement is not None:
        if "gross_revenue" in statement.fields:
            revenue = _annualised(statement, "gross_revenue")
        if "net_profit" in statement.fields:
            profit = _annualised(statement, "net_profit")
    tax = by_kind.get(PageKind.FORM_1040)
    if profit is None and tax is not None and "business_income" in tax.fields:
        profit = float(tax.fields["business_income"].value)
    return revenue, profit


def _annualised_pay(stub: ExtractedPage) -> float | None:
    fields = stub.fields
    if "gross_pay" not in fields:
        return None
    if "pay_period_start" in fields and "pay_period_end" in fields:
        start = date.fromisoformat(fields["pay_period_start"].value)
        end = date.fromisoformat(fields["pay_period_end"].value)
        periods = PAY_PERIODS_PER_YEAR.get((end - start).days + 1)
        if periods is not None:
            return float(fields["gross_pay"].value) * periods
    return None


def _tokens(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in folded if not unicodedata.combining(c))
    return set(re.findall(r"[^\W_]+", letters))  # letters and digits of any script


_NAME_FIELDS: Final = {
    PageKind.W2: "employee_name",
    PageKind.PAY_STUB: "employee_name",
    PageKind.BANK_STATEMENT: "account_holder",
    PageKind.GOVERNMENT_ID: "full_name",
    PageKind.FORM_1040: "taxpayer_name",
    PageKind.UTILITY_BILL: "account_holder",
    PageKind.PROFIT_AND_LOSS: "owner_name",
}
_SSN_FIELDS: Final = {PageKind.W2: "employee_ssn_last4", PageKind.FORM_1040: "taxpayer_ssn_last4"}
_ADDRESS_FIELDS: Final = {
    PageKind.W2: "employee_address",
    PageKind.GOVERNMENT_ID: "address",
    PageKind.UTILITY_BILL: "service_address",
}


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, added or dropped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _covers(read: set[str], wanted: set[str]) -> bool:
    """Every wanted word is among the words read; a long word may differ by one letter, the
    kind of slip OCR makes, which is not evidence of another person."""
    return all(
        word in read or (len(word) >= 5 and any(_one_edit_apart(word, r) for r in read))
        for word in wanted
    )


def names_agree(read: str, wanted: str) -> bool:
    """Whether a name read from a document is the wanted one, allowing one OCR slip a word.
    A wanted name with no letters at all matches nothing."""
    words = _tokens(wanted)
    return bool(words) and _covers(_tokens(read), words)


def _consistency(
    pages: Sequence[ExtractedPage], claims: ApplicantClaims, min_confidence: float
) -> list[Finding]:
    """Names, SSN last four, employer and address against the application. Only confident
    readings count: a value barely read proves no mismatch."""
    found: dict[str, Finding] = {}
    name = _tokens(claims.full_name)
    street = _tokens(claims.address_line1)
    stated_employer = _tokens(claims.employer_name or "")
    for page in pages:
        fields = {
            key: field for key, field in page.fields.items() if field.confidence >= min_confidence
        }
        name_field = fields.get(_NAME_FIELDS.get(page.kind, ""))
        if name_field is not None and not _covers(_tokens(name_field.value), name):
            found.setdefault(
                "NAME_MISMATCH",
                Finding(code="NAME_MISMATCH", description="A document names someone else."),
            )
        ssn = fields.get(_SSN_FIELDS.get(page.kind, ""))
        if ssn is not None and ssn.value != claims.ssn_last4:
            found.setdefault(
                "SSN_MISMATCH",
                Finding(code="SSN_MISMATCH", description="A document shows another SSN."),
            )
        address = fields.get(_ADDRESS_FIELDS.get(page.kind, ""))
        if address is not None and not _covers(_tokens(address.value), street):
            found.setdefault(
                "ADDRESS_MISMATCH",
                Finding(code="ADDRESS_MISMATCH", description="A document shows another address."),
            )
        employer = fields.get("employer_name")
        if (
            employer is not None
            and stated_employer
            and not stated_employer & _tokens(employer.value)
        ):
            found.setdefault(
                "EMPLOYER_MISMATCH",
                Finding(code="EMPLOYER_MISMATCH", description="A document shows another employer."),
            )
    return list(found.values())


def bank_analytics(transactions: Sequence[Transaction]) -> BankAnalytics | None:
    """Month-end balances, stability, overdrafts, recurring income and spending volatility."""
    with_balance = [t for t in sorted(transactions, key=lambda t: t.posted_on) if t.balance]
    if not with_balance:
        return None
    balances = [float(t.balance or 0) for t in with_balance]
    month_end: dict[tuple[int, int], float] = {}
    for item, balance in zip(with_balance, balances, strict=True):
        month_end[(item.posted_on.year, item.posted_on.month)] = balance
    ends = list(month_end.values())
    mean = statistics.fmean(balances)
    spread = statistics.pstdev(balances)
    stability = max(0.0, 1 - spread / abs(mean)) if mean else 0.0
    went_negative = sum(
        1 for before, after in zip([0.0, *balances], balances, strict=False) if before >= 0 > after
    )
    fees = sum(1 for t in transactions if re.search(r"\b(nsf|overdraft)\b", t.description, re.I))
    return BankAnalytics(
        months=len(month_end),
        average_month_end_balance=round(statistics.fmean(ends), 2),
        minimum_month_end_balance=round(min(ends), 2),
        balance_stability=round(stability, 4),
        overdrafts=went_negative + fees,
        regular_monthly_income=round(_recurring_income(transactions, len(month_end)), 2),
        spending_volatility=round(_weekly_debit_variation(transactions), 4),
    )


def _recurring_income(transactions: Sequence[Transaction], months: int) -> float:
    """Deposits that repeat at about the same size (payroll, client retainers), per month."""
    deposits = [float(t.amount) for t in transactions if float(t.amount) > 0]
    if len(deposits) < 2 or months == 0:
        return 0.0
    typical = statistics.median(deposits)
    recurring = [amount for amount in deposits if abs(amount - typical) <= 0.1 * typical]
    return sum(recurring) / months if len(recurring) >= 2 else 0.0


def _weekly_debit_variation(transactions: Sequence[Transaction]) -> float:
    weekly: dict[tuple[int, int], float] = {}
    for item in transactions:
        amount = float(item.amount)
        if amount < 0:
            week = item.posted_on.isocalendar()[:2]
            weekly[week] = weekly.get(week, 0.0) - amount
    if len(weekly) < 2:
        return 0.0
    values = list(weekly.values())
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if mean else 0.0
