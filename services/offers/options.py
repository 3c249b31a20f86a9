"""What an applicant can have: the request if it is allowed and affordable, else the nearest
things that are, priced for their risk.

* **As requested** — the product is for them, the amount and term are in its ranges and the
  payment keeps debt-to-income after the loan at or under the product's cap: up to three
  options of the requested amount, the shortest affordable term (lowest total cost), the
  requested term (balanced) and the longest allowed term (lowest monthly payment).
* **Counter-offer** — the request is too large for the cap: the same amount over the shortest
  longer term that is affordable, and the largest affordable amount over the requested term. A
  request outside the product's amount or term range is brought inside it.
* **Alternatives** — the product is not for them (a student asking for a home loan, a score
  under the product's minimum): the catalogue's alternatives for that product that are, in the
  catalogue's order, each at the nearest amount and term they can have.

Rates are the product's base plus the risk grade's premium, clamped into the product's range;
every figure comes from ``pricing.price``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final, Literal

from services.common.catalogue import Catalogue, ProductTerms
from services.common.contracts.primitives import LoanProduct
from services.common.contracts.stages import RiskGrade
from services.offers.borrower import Borrower
from services.offers.eligibility import Block, ProductRules
from services.offers.pricing import Terms, monthly_payment, price, rate_for

MAX_OPTIONS: Final = 3
STEP: Final = Decimal(100)
CENT: Final = Decimal("0.01")
"""Counter-offer amounts are whole hundreds, rounded down."""

ProposalKind = Literal["as_requested", "counter_offer", "none"]


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    product: LoanProduct
    secured: bool
    terms: Terms


@dataclass(frozen=True, slots=True)
class Finding:
    """Why the request could not be given as asked (a code and a plain description)."""

    code: str
    description: str


@dataclass(frozen=True, slots=True)
class Proposal:
    kind: ProposalKind
    options: tuple[Option, ...] = ()
    findings: tuple[Finding, ...] = field(default_factory=tuple)


class Offerer:
    """Prices, checks affordability and proposes options, from the catalogue and the rules."""

    def __init__(self, rules: ProductRules) -> None:
        self.rules = rules
        self.catalogue: Catalogue = rules.catalogue
        self._rates: dict[tuple[LoanProduct, RiskGrade], Decimal] = {}

    def rate(self, product: LoanProduct, grade: RiskGrade) -> Decimal:
        key = (product, grade)
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = self._rate(product, grade)
        return rate

    def _rate(self, product: LoanProduct, grade: RiskGrade) -> Decimal:
        terms = self.catalogue[product]
        return rate_for(
            Decimal(str(terms.base_rate_percent)),
            Decimal(str(self.catalogue.premium(terms, grade))),
            Decimal(str(terms.rate_percent[0])),
            Decimal(str(terms.rate_percent[1])),
        )

    def quote(
        self, product: LoanProduct, amount: Decimal, term_months: int, grade: RiskGrade
    ) -> Terms:
        terms = self.catalogue[product]
        fees = terms.origination_fee.fee(amount)
        return price(amount, self.rate(product, grade), term_months, fees)

    def payment(
        self, product: LoanProduct, amount: Decimal, term_months: int, grade: RiskGrade
    ) -> Decimal:
        """The regular monthly payment alone: what affordability is judged on, and cheaper
        than a full quote (no APR), so searches over terms and amounts use it."""
        return monthly_payment(amount, self.rate(product, grade), term_months)

    def fits(
        self,
        product: LoanProduct,
        amount: Decimal,
        term_months: int,
        grade: RiskGrade,
        capacity: Decimal,
    ) -> bool:
        """Whether the regular payment is within ``capacity``; a loan pricing refuses (a
        payment that rounds to nothing) never fits."""
        try:
            return self.payment(product, amount, term_months, grade) <= capacity
        except ValueError:
            return False

    def option(
        self, label: str, product: LoanProduct, amount: Decimal, term_months: int, grade: RiskGrade
    ) -> Option | None:
        """A priced option, or None for the rare loan pricing refuses (no level schedule)."""
        try:
            quoted = self.quote(product, amount, term_months, grade)
        except ValueError:
            return None
        return Option(label, product, self.catalogue[product].secured, quoted)

    def propose(
        self, borrower: Borrower, product: LoanProduct, amount: Decimal, term_months: int
    ) -> Proposal:
        product = LoanProduct(product)
        grade = borrower.risk_grade
        if grade is None:
            return Proposal("none", findings=(Finding("NO_RISK_GRADE", "No risk grade."),))
        blocks = self.blocks(borrower, product)
        window = self.rules.terms_for(product, borrower.age)
        if blocks or window is None:
            findings = tuple(Finding(b.reason_code, b.description) for b in blocks) or (
                Finding("AGE_AT_MATURITY", "No term of this product ends by the age limit."),
            )
            return self._alternatives(borrower, product, amount, term_months, grade, findings)
        terms = self.catalogue[product]
        findings_list: list[Finding] = []
        asked_amount, asked_term = amount, term_months
        if not terms.allows_amount(float(amount)):
            amount = _clamp(amount, Decimal(str(terms.amount[0])), Decimal(str(terms.amount[1])))
            findings_list.append(
                Finding("AMOUNT_OUTSIDE_PRODUCT_RANGE", f"The amount is outside the range of "
                        f"{product.value} loans.")
            )  # fmt: skip
        if not window[0] <= term_months <= window[1]:
            term_months = min(max(term_months, window[0]), window[1])
            findings_list.append(
                Finding("TERM_OUTSIDE_PRODUCT_RANGE", f"The term is outside what {product.value} "
                        "loans allow for this applicant.")
            )  # fmt: skip
        capacity = borrower.payment_capacity(terms.max_dti_percent)
        fits = self.fits(product, amount, term_months, grade, capacity)
        if fits and not findings_list:
            return Proposal("as_requested", self._choices(borrower, terms, amount, term_months))
        counter = self._counter(borrower, terms, amount, term_months, grade, window)
        if not fits:
            findings_list.append(
                Finding("DTI_ABOVE_CAP_AS_REQUESTED", f"The payment would take debt-to-income "
                        f"above the {terms.max_dti_percent:g} % cap of {product.value} loans.")
            )  # fmt: skip
        elif (amount, term_months) != (asked_amount, asked_term):
            inside = self.option("within the product's range", product, amount, term_months, grade)
            counter = (inside,) if inside is not None else ()
        if counter:
            return Proposal("counter_offer", counter, tuple(findings_list))
        return self._alternatives(
            borrower, product, amount, term_months, grade, tuple(findings_list)
        )

    def blocks(self, borrower: Borrower, product: LoanProduct) -> tuple[Block, ...]:
        """Why ``product`` is not for ``borrower`` (eligibility table and score minimum)."""
        return self.rules.blocks(
            product,
            employment_status=borrower.employment_status,
            home_ownership=borrower.home_ownership,
            credit_score=borrower.credit_score,
        )

    def _choices(
        self, borrower: Borrower, terms: ProductTerms, amount: Decimal, term: int
    ) -> tuple[Option, ...]:
        grade = borrower.risk_grade
        assert grade is not None
        window = self.rules.terms_for(terms.product, borrower.age)
        assert window is not None
        capacity = borrower.payment_capacity(terms.max_dti_percent)

        def fits(months: int) -> bool:
            return self.fits(terms.product, amount, months, grade, capacity)

        guess = _term_guess(self.rate(terms.product, grade), amount, capacity)
        shortest = first_month(window[0], term, fits, guess)
        picks = [
            ("lowest total cost", shortest if shortest is not None else term),
            ("balanced", term),
            ("lowest monthly payment", window[1]),
        ]
        chosen: dict[int, str] = {}
        for label, months in picks:
            chosen.setdefault(months, label)
        options = [
            self.option(label, terms.product, amount, months, grade)
            for months, label in sorted(chosen.items())
        ]
        return tuple(option for option in options if option is not None)[:MAX_OPTIONS]

    def _counter(
        self,
        borrower: Borrower,
        terms: ProductTerms,
        amount: Decimal,
        term: int,
        grade: RiskGrade,
        window: tuple[int, int],
    ) -> tuple[Option, ...]:
        capacity = borrower.payment_capacity(terms.max_dti_percent)
        options: list[Option | None] = []
        longer = first_month(
            term + 1,
            window[1],
            lambda m: self.fits(terms.product, amount, m, grade, capacity),
            _term_guess(self.rate(terms.product, grade), amount, capacity),
        )
        if longer is not None:
            options.append(self.option("longer term", terms.product, amount, longer, grade))
        smaller = self._largest_amount(terms, term, grade, capacity)
        if smaller is not None and smaller < amount:
            options.append(self.option("smaller amount", terms.product, smaller, term, grade))
        return tuple(option for option in options if option is not None)

    def _largest_amount(
        self, terms: ProductTerms, term: int, grade: RiskGrade, capacity: Decimal
    ) -> Decimal | None:
        """The largest whole-hundred amount in the product's range whose payment fits."""
        monthly = self.rate(terms.product, grade) / 1200
        if monthly == 0:
            estimate = capacity * term
        else:
            estimate = capacity * (1 - (1 + monthly) ** -term) / monthly
        return largest_amount(
            lambda amount: self.fits(terms.product, amount, term, grade, capacity),
            Decimal(str(terms.amount[0])),
            Decimal(str(terms.amount[1])),
            guess=estimate,
        )

    def _alternatives(
        self,
        borrower: Borrower,
        product: LoanProduct,
        amount: Decimal,
        term: int,
        grade: RiskGrade,
        findings: tuple[Finding, ...],
    ) -> Proposal:
        options: list[Option] = []
        for alternative in self.catalogue[product].alternatives:
            if len(options) == MAX_OPTIONS:
                break
            option = self._nearest(borrower, alternative, amount, term, grade)
            if option is not None:
                options.append(option)
        kind: ProposalKind = "counter_offer" if options else "none"
        return Proposal(kind, tuple(options), findings)

    def _nearest(
        self,
        borrower: Borrower,
        product: LoanProduct,
        amount: Decimal,
        term: int,
        grade: RiskGrade,
    ) -> Option | None:
        """``product`` at the amount and term nearest the request that this applicant can have."""
        if self.blocks(borrower, product):
            return None
        window = self.rules.terms_for(product, borrower.age)
        if window is None:
            return None
        terms = self.catalogue[product]
        low, high = Decimal(str(terms.amount[0])), Decimal(str(terms.amount[1]))
        months = min(max(term, window[0]), window[1])
        capacity = borrower.payment_capacity(terms.max_dti_percent)
        wanted = _clamp(amount, low, high)
        if not self.fits(product, wanted, months, grade, capacity):
            largest = self._largest_amount(terms, months, grade, capacity)
            if largest is None:
                return None
            wanted = min(wanted, largest)
        return self.option(f"{product.value} loan instead", product, wanted, months, grade)


def _affordable(terms: Terms, capacity: Decimal) -> bool:
    """Judged on the regular payment; the last one differs from it by rounding cents only."""
    return terms.monthly_payment <= capacity


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(value, low), high)


def first_month(
    low: int, high: int, test: Callable[[int], bool], guess: int | None = None
) -> int | None:
    """The smallest month in [low, high] passing ``test``, which holds from some month on
    (a longer term never raises the payment); None if none does. A ``guess`` from the annuity
    formula usually settles it in two tests; the search still decides."""
    if low > high:
        return None
    if guess is not None and low <= guess <= high and test(guess):
        if guess == low or not test(guess - 1):
            return guess
        high = guess - 1
    elif guess is not None and low <= guess < high:
        low = guess + 1
    if not test(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if test(middle):
            high = middle
        else:
            low = middle + 1
    return low


def largest_amount(
    fits: Callable[[Decimal], bool],
    low: Decimal,
    high: Decimal,
    guess: Decimal | None = None,
) -> Decimal | None:
    """The largest whole hundred in ``[low, high]`` that fits (payments grow with the amount),
    else ``low`` itself when it fits, else None. A ``guess`` from the annuity formula usually
    settles it in three payments; a binary search decides otherwise."""
    first = int((low / STEP).to_integral_value(ROUND_CEILING))
    last = int((high / STEP).to_integral_value(ROUND_FLOOR))
    if first > last or not fits(first * STEP):
        return low if fits(low) else None
    if guess is not None:
        hint = min(max(int((guess / STEP).to_integral_value(ROUND_FLOOR)), first), last)
        if fits(hint * STEP):
            if hint == last or not fits((hint + 1) * STEP):
                return (hint * STEP).quantize(CENT)
            first = hint + 1  # hint + 1 fits too: the answer lies above
        else:
            last = hint - 1
    while first < last:  # fits(first) holds throughout
        middle = (first + last + 1) // 2
        if fits(middle * STEP):
            first = middle
        else:
            last = middle - 1
    return (first * STEP).quantize(CENT)


def _term_guess(annual_rate_percent: Decimal, amount: Decimal, payment: Decimal) -> int | None:
    """The months after which a level ``payment`` repays ``amount``, by the annuity formula in
    floating point (rounded up); None when the payment never does."""
    if payment <= 0:
        return None
    monthly = float(annual_rate_percent) / 1200
    principal, level = float(amount), float(payment)
    if monthly == 0:
        return max(1, math.ceil(principal / level))
    if monthly * principal >= level:
        return None
    return max(1, math.ceil(-math.log(1 - monthly * principal / level) / math.log1p(monthly)))
