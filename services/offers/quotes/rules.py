"""Whether an applicant may have a product at an adjusted amount and term, and at what price.

Pure logic over ``Offerer`` (catalogue, eligibility table, pricing) and a ``Borrower``; the quote
API maps each outcome to a response. The checks run in this order and the first that fails
decides the answer:

1. **Eligibility**: the eligibility table and the product's score minimum (``ProductRules.blocks``)
   must not block the product, and some term of it must end by the age limit.
2. **Ranges**: the amount must lie in the product's amount range and the term in
   ``terms_for(product, age)``; both fields are reported when both are out.
3. **Affordability**: the regular monthly payment must be within ``payment_capacity`` (the
   product's debt-to-income cap), the same test the offers stage applies. When it is not, the
   answer names the largest affordable amount at that term (whole hundreds, like the stage's
   counter-offers) and the shortest affordable term at that amount, either None when none is.
4. **Pricing**: ``Offerer.quote``; the rare loan pricing refuses (a level payment that cannot
   amortise it) is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.common.contracts.primitives import LoanProduct
from services.offers.borrower import Borrower
from services.offers.options import CENT, Offerer, first_month, largest_amount
from services.offers.pricing import Terms


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a product is not for this applicant: a code and a plain description."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class Ineligible:
    product: LoanProduct
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """What the product allows this applicant: amounts and terms (inclusive)."""

    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """The amount, the term or both lie outside ``limits``; ``fields`` names which."""

    product: LoanProduct
    fields: tuple[str, ...]
    limits: Limits


@dataclass(frozen=True, slots=True)
class Unaffordable:
    product: LoanProduct
    amount: Decimal
    term_months: int
    monthly_payment: Decimal
    max_monthly_payment: Decimal
    max_dti_percent: Decimal
    largest_affordable_amount: Decimal | None
    shortest_affordable_term_months: int | None
    limits: Limits


@dataclass(frozen=True, slots=True)
class NotPriceable:
    """Pricing refuses this amount and term (see ``pricing.NotAmortisableError``)."""

    product: LoanProduct
    detail: str


@dataclass(frozen=True, slots=True)
class Quoted:
    product: LoanProduct
    secured: bool
    terms: Terms
    dti_after: Decimal
    limits: Limits


QuoteOutcome = Quoted | Ineligible | OutOfRange | Unaffordable | NotPriceable


def limits_for(offerer: Offerer, product: LoanProduct, age: int) -> Limits | None:
    """The amounts and terms ``product`` allows someone of ``age``; None when no term does."""
    window = offerer.rules.terms_for(product, age)
    if window is None:
        return None
    terms = offerer.catalogue[product]
    return Limits(
        min_amount=_money(terms.amount[0]),
        max_amount=_money(terms.amount[1]),
        min_term_months=window[0],
        max_term_months=window[1],
    )


def eligibility(offerer: Offerer, borrower: Borrower, product: LoanProduct) -> tuple[Reason, ...]:
    """Every reason ``product`` cannot be offered to ``borrower``; empty when it can."""
    reasons = [
        Reason(block.reason_code, block.description) for block in offerer.blocks(borrower, product)
    ]
    if borrower.risk_grade is None:
        reasons.append(Reason("NO_RISK_GRADE", "The application has no risk grade."))
    if offerer.rules.terms_for(product, borrower.age) is None:
        reasons.append(Reason("AGE_AT_MATURITY", "No term of this product ends by the age limit."))
    return tuple(reasons)


def evaluate(
    offerer: Offerer,
    borrower: Borrower,
    product: LoanProduct,
    amount: Decimal,
    term_months: int,
) -> QuoteOutcome:
    """Check ``amount`` over ``term_months`` of ``product`` for ``borrower``, then price it."""
    product = LoanProduct(product)
    reasons = eligibility(offerer, borrower, product)
    limits = limits_for(offerer, product, borrower.age)
    grade = borrower.risk_grade
    if reasons or limits is None or grade is None:
        return Ineligible(product, reasons)
    outside = []
    if not limits.min_amount <= amount <= limits.max_amount:
        outside.append("amount")
    if not limits.min_term_months <= term_months <= limits.max_term_months:
        outside.append("term_months")
    if outside:
        return OutOfRange(product, tuple(outside), limits)
    terms = offerer.catalogue[product]
    capacity = borrower.payment_capacity(terms.max_dti_percent)
    try:
        payment = offerer.payment(product, amount, term_months, grade)
    except ValueError as exc:
        return NotPriceable(product, str(exc))
    if payment > capacity:

        def fits(value: Decimal, months: int) -> bool:
            return offerer.fits(product, value, months, grade, capacity)

        return Unaffordable(
            product=product,
            amount=amount,
            term_months=term_months,
            monthly_payment=payment,
            max_monthly_payment=capacity,
            max_dti_percent=Decimal(str(terms.max_dti_percent)),
            largest_affordable_amount=largest_amount(
                lambda value: fits(value, term_months), limits.min_amount, amount
            ),
            shortest_affordable_term_months=first_month(
                term_months + 1, limits.max_term_months, lambda months: fits(amount, months)
            ),
            limits=limits,
        )
    try:
        quoted = offerer.quote(product, amount, term_months, grade)
    except ValueError as exc:
        return NotPriceable(product, str(exc))
    return Quoted(
        product=product,
        secured=terms.secured,
        terms=quoted,
        dti_after=borrower.dti_after(quoted.monthly_payment),
        limits=limits,
    )


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)
