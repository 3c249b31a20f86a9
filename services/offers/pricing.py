"""Loan pricing: the level monthly payment, the amortisation schedule, totals, APR and terms.

Pure logic, exact to the cent. Money is ``Decimal`` in whole cents (floats are refused: convert
with ``Decimal(str(x))`` first); rates are ``Decimal`` percent per annum, at most 6 decimals.

Conventions, shared by every function here:

* The monthly rate is the annual rate / 1200, exactly (never rounded).
* The monthly payment is the level annuity payment ``P * r / (1 - (1 + r) ** -n)`` computed
  exactly and rounded half-up to the cent; at a zero rate it is ``P / n`` rounded half-up.
* Each month's interest is the opening balance * the monthly rate, rounded half-up to the
  cent; the rest of the payment repays principal.
* **The last installment is adjusted**: it is the remaining balance plus that month's interest,
  so the balance ends at exactly 0.00. It differs from the regular payment by the accumulated
  rounding, usually a few cents; on long, high-rate loans the rounding compounds and the
  difference grows (see ``Terms.final_payment``).
* A loan the rounded level payment cannot amortise over its term is refused with
  :class:`NotAmortisableError` (a ``ValueError``): either the payment, rounded up, would repay it
  before the last month (the last installment would be zero or negative), or, rounded down,
  it would leave a balloon, a last installment more than twice the regular payment (the
  Regulation Z notion of a balloon, 12 CFR 1026.32(d)(1)). Rounding by under half a cent
  compounds at the loan rate, so this happens only for small principals or long, high-rate
  terms, such as 10,000.00 at 36 % over 480 months (payment 300.00 is all interest).

So total interest = the sum of the schedule's interest = total of payments - principal. The
totals are computed by an integer-cent loop that does not build the schedule; it is a separate
implementation from the Decimal schedule and the tests check that they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from services.offers.apr import CENT, apr, apr_from_cents, from_cents, to_cents

__all__ = [
    "MAX_RATE_PERCENT",
    "MAX_TERM_MONTHS",
    "Installment",
    "NotAmortisableError",
    "Terms",
    "amortisation_schedule",
    "apr",
    "monthly_payment",
    "price",
    "rate_for",
    "total_interest",
]

MAX_TERM_MONTHS = 480
MAX_RATE_PERCENT = Decimal(100)
_RATE_STEP = Decimal("0.000001")
"""Rates may have at most 6 decimal places (keeps the exact arithmetic small)."""
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


class NotAmortisableError(ValueError):
    """The rounded level payment cannot repay this loan in equal installments over its term."""


@dataclass(frozen=True, slots=True)
class Installment:
    """One month of the amortisation schedule; ``balance`` is what is owed after it."""

    number: int
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Terms:
    """The figures of one priced loan. Money in whole cents, rates in % p.a.

    ``monthly_payment`` is due in months 1 .. term - 1 and ``final_payment``, the adjusted
    last installment, in the last month (for a one-month loan the two are equal).
    ``amount_financed`` = principal - fees; ``finance_charge`` = total interest + fees;
    ``total_of_payments`` = principal + total interest = amount financed + finance charge.
    """

    principal: Decimal
    interest_rate: Decimal
    term_months: int
    fees: Decimal
    monthly_payment: Decimal
    final_payment: Decimal
    total_interest: Decimal
    total_of_payments: Decimal
    finance_charge: Decimal
    amount_financed: Decimal
    apr: Decimal

    def schedule(self) -> tuple[Installment, ...]:
        """The month-by-month schedule these figures come from (built on demand)."""
        return amortisation_schedule(self.principal, self.interest_rate, self.term_months)


@dataclass(frozen=True, slots=True)
class _Loan:
    """Validated inputs; the monthly rate is the fraction ``rate_num / rate_den``."""

    principal_cents: int
    rate: Decimal
    rate_num: int
    rate_den: int
    term: int


def monthly_payment(principal: Decimal, annual_rate_percent: Decimal, term_months: int) -> Decimal:
    """The level monthly annuity payment, rounded half-up to the cent.

    Raises ``ValueError`` unless principal > 0 (whole cents), 1 ≤ term ≤ 480 and
    0 ≤ rate ≤ 100 (at most 6 decimals), and :class:`NotAmortisableError` when the payment would
    round to 0.00. It does not check that the payment amortises the loan: the schedule, the
    totals and :func:`price` do.
    """
    return from_cents(_payment_cents(_loan(principal, annual_rate_percent, term_months)))


def amortisation_schedule(
    principal: Decimal, annual_rate_percent: Decimal, term_months: int
) -> tuple[Installment, ...]:
    """Every month's payment, interest, principal repaid and closing balance.

    Interest is the opening balance * annual rate / 1200 rounded half-up to the cent; the last
    installment repays the whole remaining balance plus its interest, so it ends at 0.00.
    Raises ``ValueError`` as :func:`monthly_payment` does, and :class:`NotAmortisableError`
    when the rounded payment cannot amortise the loan over its term.
    """
    loan = _loan(principal, annual_rate_percent, term_months)
    payment_cents = _payment_cents(loan)
    payment = from_cents(payment_cents)
    balance = from_cents(loan.principal_cents)
    rows: list[Installment] = []
    with localcontext(_CONTEXT):
        for number in range(1, loan.term + 1):
            interest = (balance * loan.rate / 1200).quantize(CENT, rounding=ROUND_HALF_UP)
            repaid = payment - interest if number < loan.term else balance
            balance -= repaid
            if number < loan.term and balance <= 0:
                raise _repaid_early(loan, payment_cents)
            rows.append(Installment(number, interest + repaid, interest, repaid, balance))
    if loan.term > 1 and rows[-1].payment > 2 * payment:
        raise _balloon(loan, payment_cents, to_cents(rows[-1].payment, "last payment"))
    return tuple(rows)


def total_interest(principal: Decimal, annual_rate_percent: Decimal, term_months: int) -> Decimal:
    """The sum of the schedule's interest (= total of payments - principal), without building it.

    Raises as :func:`amortisation_schedule` does.
    """
    loan = _loan(principal, annual_rate_percent, term_months)
    interest, _ = _totals(loan, _payment_cents(loan))
    return from_cents(interest)


def price(
    principal: Decimal,
    annual_rate_percent: Decimal,
    term_months: int,
    fees: Decimal = Decimal(0),
) -> Terms:
    """Price one loan: payments, totals and APR, without building the schedule.

    ``fees`` are prepaid finance charges paid at closing (e.g. an origination fee): they are
    deducted from the amount financed, which is what the APR is computed on. They must be
    whole cents, ≥ 0 and less than the principal. Raises as :func:`amortisation_schedule`
    does. The APR can exceed 100 % when the fees are large against a short loan.
    """
    loan = _loan(principal, annual_rate_percent, term_months)
    fee_cents = to_cents(fees, "fees")
    if not 0 <= fee_cents < loan.principal_cents:
        raise ValueError(f"fees must be at least 0 and less than the principal, not {fees}")
    payment = _payment_cents(loan)
    interest, final = _totals(loan, payment)
    financed = loan.principal_cents - fee_cents
    runs = [(payment, loan.term - 1), (final, 1)] if loan.term > 1 else [(final, 1)]
    return Terms(
        principal=from_cents(loan.principal_cents),
        interest_rate=loan.rate,
        term_months=loan.term,
        fees=from_cents(fee_cents),
        monthly_payment=from_cents(payment),
        final_payment=from_cents(final),
        total_interest=from_cents(interest),
        total_of_payments=from_cents(loan.principal_cents + interest),
        finance_charge=from_cents(interest + fee_cents),
        amount_financed=from_cents(financed),
        apr=apr_from_cents(financed, runs),
    )


def rate_for(
    base_rate: Decimal, grade_premium: Decimal, minimum: Decimal, maximum: Decimal
) -> Decimal:
    """``base_rate + grade_premium`` clamped into ``[minimum, maximum]`` (all % p.a.).

    The premium may be negative (a discount). Requires 0 ≤ minimum ≤ maximum ≤ 100.
    """
    base = _finite(base_rate, "base_rate")
    premium = _finite(grade_premium, "grade_premium")
    low = _finite(minimum, "minimum")
    high = _finite(maximum, "maximum")
    if not 0 <= low <= high <= MAX_RATE_PERCENT:
        raise ValueError(
            f"need 0 <= minimum <= maximum <= {MAX_RATE_PERCENT}, not [{minimum}, {maximum}]"
        )
    return min(max(_CONTEXT.add(base, premium), low), high)


def _loan(principal: Decimal, annual_rate_percent: Decimal, term_months: int) -> _Loan:
    cents = to_cents(principal, "principal")
    if cents <= 0:
        raise ValueError(f"principal must be greater than zero, not {principal}")
    if isinstance(term_months, bool) or not isinstance(term_months, int):
        raise TypeError(f"term_months must be an int, not {type(term_months).__name__}")
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValueError(f"term_months must be 1 to {MAX_TERM_MONTHS}, not {term_months}")
    rate = _finite(annual_rate_percent, "annual_rate_percent")
    if not 0 <= rate <= MAX_RATE_PERCENT:
        raise ValueError(
            f"annual_rate_percent must be 0 to {MAX_RATE_PERCENT}, not {annual_rate_percent}"
        )
    if rate.quantize(_RATE_STEP, context=_CONTEXT) != rate:
        raise ValueError(f"annual_rate_percent has more than 6 decimal places: {rate}")
    numerator, denominator = rate.as_integer_ratio()
    common = math.gcd(numerator, 1200)
    return _Loan(cents, rate, numerator // common, denominator * 1200 // common, term_months)


def _finite(value: Decimal, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be finite, not {value}")
    return result


def _divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, for a non-negative numerator."""
    return (2 * numerator + denominator) // (2 * denominator)


def _payment_cents(loan: _Loan) -> int:
    """The level payment in cents, from the exact rational annuity formula.

    With ``r = a / d``: ``P * r / (1 - (1 + r) ** -n) = P * a * (d + a) ** n / (d * ((d + a) ** n
    - d ** n))``, all integers.
    """
    principal, a, d, n = loan.principal_cents, loan.rate_num, loan.rate_den, loan.term
    if a == 0:
        payment = _divide_half_up(principal, n)
    else:
        grown = (d + a) ** n
        payment = _divide_half_up(principal * a * grown, d * (grown - d**n))
    if payment <= 0:
        raise NotAmortisableError(
            f"a principal of {from_cents(principal)} over {n} months gives a payment of 0.00"
        )
    return payment


def _totals(loan: _Loan, payment: int) -> tuple[int, int]:
    """``(total interest, final payment)`` in cents, by the schedule's rules, in integers.

    Each month the balance grows by its interest, ``round_half_up(balance * a / d)``, and falls
    by the payment; since the balance is whole cents, balance + interest is
    ``round_half_up(balance * (d + a) / d)`` = ``(2 * balance * (d + a) + d) // 2d``. The total
    interest is then everything paid less the principal.
    """
    a, d, months = loan.rate_num, loan.rate_den, loan.term
    balance = loan.principal_cents
    if a == 0:
        balance -= payment * (months - 1)
    else:
        twice_growth, twice_d = 2 * (d + a), 2 * d
        for _ in range(months - 1):
            balance = (balance * twice_growth + d) // twice_d - payment
    if months > 1 and balance <= 0:
        raise _repaid_early(loan, payment)
    final = _divide_half_up(balance * (d + a), d)
    if months > 1 and final > 2 * payment:
        raise _balloon(loan, payment, final)
    return payment * (months - 1) + final - loan.principal_cents, final


def _repaid_early(loan: _Loan, payment_cents: int) -> NotAmortisableError:
    return NotAmortisableError(
        f"a level payment of {from_cents(payment_cents)} would repay {_describe(loan)} before "
        "its last month"
    )


def _balloon(loan: _Loan, payment_cents: int, final_cents: int) -> NotAmortisableError:
    return NotAmortisableError(
        f"a level payment of {from_cents(payment_cents)} would leave a last payment of "
        f"{from_cents(final_cents)} on {_describe(loan)}, more than twice the regular payment"
    )


def _describe(loan: _Loan) -> str:
    return f"{from_cents(loan.principal_cents)} at {loan.rate}% over {loan.term} months"
