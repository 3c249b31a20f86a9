"""The annual percentage rate (APR) of a payment stream, and the money helpers pricing shares.

Regulation Z (12 CFR 1026.22 and Appendix J), actuarial method, for the shape of loan this
platform offers: a single advance at consummation (the *amount financed*) followed by payments
due at whole unit periods of one month, the first one month after the advance (no odd first
period). The period rate ``i`` is the one at which the present value of the payments equals
the amount financed::

    amount_financed = sum(payment_k / (1 + i) ** k  for k = 1 .. n)

and the APR is the nominal annual rate ``12 * i``, in percent. The amount financed is the
principal less prepaid finance charges (fees paid at closing, such as an origination fee), so
fees raise the APR above the note rate.

The equation is solved in binary floating point by Newton's method with a bisection safeguard
(the present value is decreasing and convex in ``i``, so Newton from ``i = 0`` converges
monotonically); the root is accurate to about 1e-12 percentage points, far inside Regulation
Z's tolerance of 1/8 of a percentage point. The result is rounded half-up to two decimals
(hundredths of a percentage point); when the root lies within 1e-8 points of a rounding
boundary the side is decided exactly with integer arithmetic, so the rounding never depends on
floating-point noise.

Money is ``Decimal`` in whole cents throughout; floats are refused so that no amount is ever
silently inexact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(1_000_000_000)
"""Largest amount accepted, as in the event contracts' ``Money``."""
MAX_PAYMENTS = 480
"""Longest payment stream, in months (forty years)."""

_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
"""Enough digits that every operation on amounts and rates here is exact."""
_HUNDREDTHS_PER_MONTHLY_UNIT = 120_000
"""APR in hundredths of a percentage point per unit of monthly period rate: 12 * 100 * 100."""
_MAX_ITERATIONS = 200
_RELATIVE_TOLERANCE = 1e-13
"""Stop when a step (or the bracket) is this small relative to the rate: ~1e-11 points of APR."""
_TINY_RATE = 1e-9
"""Below this period rate the slope uses its value at zero (the closed form cancels badly)."""
_BOUNDARY_WINDOW = 1e-6
"""Hundredths of a point: closer than this to a rounding boundary, decide the side exactly."""

Run = tuple[int, int]
"""``(payment in cents, how many consecutive months)``."""


def to_cents(amount: Decimal | int, what: str) -> int:
    """``amount`` as an integer number of cents; it must be a finite whole-cent Decimal or int."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite amount, not {value}")
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"{what} must be at most {MAX_AMOUNT} in absolute value, not {value}")
    if value.quantize(CENT, context=_CONTEXT) != value:
        raise ValueError(f"{what} must be a whole number of cents, not {value}")
    return int(_CONTEXT.multiply(value, 100))


def from_cents(cents: int) -> Decimal:
    """An integer number of cents as a Decimal with exactly two decimal places."""
    return Decimal(cents).scaleb(-2, context=_CONTEXT)


def apr(amount_financed: Decimal, payments: Sequence[Decimal]) -> Decimal:
    """The APR, in percent rounded half-up to 2 decimals, of ``payments`` for ``amount_financed``.

    ``payments`` are the actual monthly payments in order (the first due one month after the
    advance), irregular ones included, e.g. an adjusted last payment. Raises ``ValueError`` when
    an amount is not whole cents, the amount financed is not positive, there are no payments or
    more than 480, a payment is negative, or the payments total less than the amount financed
    (a negative APR).
    """
    financed = to_cents(amount_financed, "amount_financed")
    if not 1 <= len(payments) <= MAX_PAYMENTS:
        raise ValueError(f"payments must hold 1 to {MAX_PAYMENTS} amounts, not {len(payments)}")
    runs: list[list[int]] = []
    for number, payment in enumerate(payments, start=1):
        cents = to_cents(payment, f"payment {number}")
        if runs and runs[-1][0] == cents:
            runs[-1][1] += 1
        else:
            runs.append([cents, 1])
    return apr_from_cents(financed, [(cents, count) for cents, count in runs])


def apr_from_cents(amount_financed_cents: int, runs: Sequence[Run]) -> Decimal:
    """:func:`apr` on integer cents, the payments given as runs of equal consecutive payments.

    ``[(30422, 35), (30425, 1)]`` is 35 payments of 304.22 followed by one of 304.25. Pricing
    uses this form so that it never expands a 360-month stream into a list.
    """
    if amount_financed_cents <= 0:
        raise ValueError("amount_financed must be greater than zero")
    months = 0
    total = 0
    for cents, count in runs:
        if cents < 0:
            raise ValueError(f"payments must not be negative, not {from_cents(cents)}")
        if count < 0:
            raise ValueError(f"a run of payments cannot have a negative count ({count})")
        months += count
        total += cents * count
    if not 1 <= months <= MAX_PAYMENTS:
        raise ValueError(f"payments must hold 1 to {MAX_PAYMENTS} amounts, not {months}")
    if total < amount_financed_cents:
        raise ValueError(
            f"the payments total {from_cents(total)}, less than the amount financed "
            f"{from_cents(amount_financed_cents)}: the APR would be negative"
        )
    if total == amount_financed_cents:
        return from_cents(0)
    period_rate = _solve_period_rate(amount_financed_cents, runs)
    return _round_to_hundredths(period_rate, amount_financed_cents, runs)


def _present_value(runs: Sequence[tuple[float, int, int]], rate: float) -> tuple[float, float]:
    """The present value at period ``rate`` of ``(payment, start, count)`` runs, and its slope.

    A run pays ``payment`` at months ``start + 1`` .. ``start + count``; with ``v = 1 / (1 + i)``
    its value is ``payment * v**start * sum(v**j, j = 1..count)``, summed in closed form with
    ``expm1``/``log1p`` so that small rates keep their precision.
    """
    log_growth = math.log1p(rate)
    discount = 1.0 / (1.0 + rate)
    value = 0.0
    slope = 0.0
    for payment, start, count in runs:
        at_start = math.exp(-start * log_growth)
        annuity = float(count) if rate == 0.0 else -math.expm1(-count * log_growth) / rate
        if rate < _TINY_RATE:
            weighted = count * (count + 1) / 2.0
        else:
            one_minus_last = -math.expm1(-count * log_growth)
            last_next = math.exp(-(count + 1) * log_growth)
            weighted = (one_minus_last - count * rate * last_next) / (rate * rate * discount)
        value += payment * at_start * annuity
        # d/di of v**k is -k * v**(k + 1); sum(k * v**k) over the run is v**start times
        # (start * annuity + sum(j * v**j, j = 1..count)).
        slope -= payment * at_start * (start * annuity + weighted) * discount
    return value, slope


def _solve_period_rate(amount_financed_cents: int, runs: Sequence[Run]) -> float:
    """The monthly rate at which the payments' present value equals the amount financed."""
    target = float(amount_financed_cents)
    timed: list[tuple[float, int, int]] = []
    start = 0
    for cents, count in runs:
        if cents and count:
            timed.append((float(cents), start, count))
        start += count
    low, high = 0.0, math.inf
    rate = 0.0
    for _ in range(_MAX_ITERATIONS):
        value, slope = _present_value(timed, rate)
        excess = value - target
        if excess == 0.0:
            return rate
        if excess > 0.0:
            low = rate
        else:
            high = rate
        candidate = rate - excess / slope if slope < 0.0 else math.inf
        if not low < candidate < high:
            # Out of the bracket: bisect, or grow the guess while no upper bound is known.
            candidate = 2.0 * low + 1.0 if math.isinf(high) else (low + high) / 2.0
        step_done = abs(candidate - rate) <= _RELATIVE_TOLERANCE * candidate
        bracket_done = math.isfinite(high) and high - low <= _RELATIVE_TOLERANCE * high
        if step_done or bracket_done:
            return candidate
        rate = candidate
    raise ArithmeticError("the APR equation did not converge")  # pragma: no cover


def _round_to_hundredths(
    period_rate: float, amount_financed_cents: int, runs: Sequence[Run]
) -> Decimal:
    """``12 * period_rate`` in percent, rounded half-up to hundredths of a percentage point."""
    scaled = period_rate * _HUNDREDTHS_PER_MONTHLY_UNIT
    whole = math.floor(scaled)
    if abs(scaled - whole - 0.5) < _BOUNDARY_WINDOW:
        # The boundary APR is (whole + 0.5) hundredths: a monthly rate of (2*whole + 1) / 240000.
        boundary = (2 * whole + 1, 2 * _HUNDREDTHS_PER_MONTHLY_UNIT)
        round_up = _value_at_least(amount_financed_cents, runs, *boundary)
    else:
        round_up = scaled - whole > 0.5
    return Decimal(whole + round_up).scaleb(-2, context=_CONTEXT)


def _value_at_least(amount_financed_cents: int, runs: Sequence[Run], num: int, den: int) -> bool:
    """Exactly: is the present value at the monthly rate ``num / den`` ≥ the amount financed?

    With ``q = num + den`` the discount factor is ``den / q``, so the comparison is
    ``sum(p_k * den**k * q**(n - k)) >= amount * q**n`` in integers. True means the root is at
    or above that rate, so a half-up rounding goes up.
    """
    growth = num + den
    total = 0
    den_power = 1
    months = 0
    for cents, count in runs:
        for _ in range(count):
            den_power *= den
            total = total * growth + cents * den_power
            months += 1
    threshold: int = amount_financed_cents * growth**months
    return total >= threshold
