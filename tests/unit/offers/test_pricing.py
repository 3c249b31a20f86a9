"""Pricing and APR: worked examples checked independently, schedule invariants, properties.

The references here do not call the code under test: payments and schedules are recomputed
with exact ``Fraction`` arithmetic, and APRs are checked against present values summed in
high-precision ``Decimal`` (the half-up rounding to two decimals is verified by bracketing the
root of the APR equation between the two rounding boundaries).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest

from services.offers.apr import apr, apr_from_cents
from services.offers.pricing import (
    Installment,
    NotAmortisableError,
    amortisation_schedule,
    monthly_payment,
    price,
    rate_for,
    total_interest,
)

D = Decimal
HALF_HUNDREDTH = D("0.005")
EIGHTH_POINT = D("0.125")


# --- independent references ------------------------------------------------------------------


def half_up(value: Fraction) -> int:
    """A non-negative fraction rounded half-up to an integer."""
    return math.floor(value + Fraction(1, 2))


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def reference_payment_cents(principal: Decimal, rate: Decimal, term: int) -> int:
    """The annuity payment from the textbook formula, in exact fractions, rounded half-up."""
    monthly = Fraction(rate) / 1200
    owed = Fraction(principal) * 100
    if monthly == 0:
        return half_up(owed / term)
    return half_up(owed * monthly / (1 - (1 + monthly) ** -term))


def reference_schedule(
    principal: Decimal, rate: Decimal, term: int
) -> list[tuple[int, int, int, int]]:
    """``(payment, interest, principal, balance)`` in cents, month by month, in fractions."""
    monthly = Fraction(rate) / 1200
    payment = reference_payment_cents(principal, rate, term)
    balance = cents(principal)
    rows = []
    for number in range(1, term + 1):
        interest = half_up(balance * monthly)
        repaid = payment - interest if number < term else balance
        balance -= repaid
        rows.append((interest + repaid, interest, repaid, balance))
    return rows


def present_value(apr_percent: Decimal, payments: Sequence[Decimal]) -> Decimal:
    """Payments one month apart, the first after one month, discounted at ``apr_percent / 12``."""
    with localcontext() as context:
        context.prec = 50
        discount = 1 / (1 + apr_percent / 1200)
        factor = D(1)
        value = D(0)
        for payment in payments:
            factor *= discount
            value += payment * factor
        return value


def assert_rounds_root(result: Decimal, amount_financed: Decimal, payments: list[Decimal]) -> None:
    """``result`` is the APR equation's root rounded half-up to hundredths of a point.

    The present value falls as the rate rises, so the root lies in
    ``[result - 0.005, result + 0.005)`` exactly when these two comparisons hold.
    """
    assert result == result.quantize(D("0.01"))
    assert present_value(result - HALF_HUNDREDTH, payments) >= amount_financed
    assert present_value(result + HALF_HUNDREDTH, payments) < amount_financed


def payments_of(rows: Sequence[Installment]) -> list[Decimal]:
    return [row.payment for row in rows]


# --- worked examples -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "term", "expected"),
    [
        # 10,000 * 0.005 / (1 - 1.005**-36) = 304.2194...
        (D(10_000), D(6), 36, D("304.22")),
        # 200,000 * (0.065/12) / (1 - (1 + 0.065/12)**-360) = 1264.1360...
        (D(200_000), D("6.5"), 360, D("1264.14")),
        # 5,000 * 0.01 / (1 - 1.01**-36) = 166.0715...
        (D(5_000), D(12), 36, D("166.07")),
        # zero rate: 1,000 / 3 = 333.333...
        (D(1_000), D(0), 3, D("333.33")),
        # one month: 1,000 * 1.01
        (D(1_000), D(12), 1, D("1010.00")),
    ],
)
def test_worked_payments(principal: Decimal, rate: Decimal, term: int, expected: Decimal) -> None:
    monthly = float(rate) / 1200
    by_float = (
        float(principal) / term
        if monthly == 0
        else (float(principal) * monthly / (1 - (1 + monthly) ** -term))
    )
    assert round(by_float, 2) == float(expected)  # the comments' arithmetic, redone
    assert cents(expected) == reference_payment_cents(principal, rate, term)
    result = monthly_payment(principal, rate, term)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_first_rows_of_a_schedule_worked_by_hand() -> None:
    rows = amortisation_schedule(D(10_000), D(6), 36)
    # Month 1: 10,000.00 * 0.5% = 50.00 interest; 304.22 - 50.00 = 254.22 repaid.
    assert rows[0] == Installment(1, D("304.22"), D("50.00"), D("254.22"), D("9745.78"))
    # Month 2: 9,745.78 * 0.5% = 48.7289 -> 48.73 interest; 255.49 repaid.
    assert rows[1] == Installment(2, D("304.22"), D("48.73"), D("255.49"), D("9490.29"))
    assert rows[-1].balance == D("0.00")


def test_zero_rate_loan_divides_evenly_and_adjusts_the_last_payment() -> None:
    rows = amortisation_schedule(D(1_000), D(0), 3)
    assert [row.payment for row in rows] == [D("333.33"), D("333.33"), D("333.34")]
    assert all(row.interest == 0 for row in rows)
    assert total_interest(D(1_000), D(0), 3) == D("0.00")
    terms = price(D(1_000), D(0), 3)
    assert (terms.monthly_payment, terms.final_payment) == (D("333.33"), D("333.34"))
    assert terms.apr == D("0.00")


def test_one_month_loan() -> None:
    assert amortisation_schedule(D(1_000), D(12), 1) == (
        Installment(1, D("1010.00"), D("10.00"), D("1000.00"), D("0.00")),
    )
    terms = price(D(1_000), D(12), 1)
    assert terms.total_interest == D("10.00")
    assert terms.monthly_payment == terms.final_payment == D("1010.00")
    assert terms.apr == D("12.00")  # 10 / 1,000 in one month = 1% a month


def test_the_thirty_year_schedule_matches_the_exact_reference() -> None:
    rows = amortisation_schedule(D(200_000), D("6.5"), 360)
    expected = reference_schedule(D(200_000), D("6.5"), 360)
    assert [
        (cents(r.payment), cents(r.interest), cents(r.principal), cents(r.balance)) for r in rows
    ] == expected
    assert total_interest(D(200_000), D("6.5"), 360) == sum(r.interest for r in rows)


# --- APR ---------------------------------------------------------------------------------------


def test_apr_without_fees_is_the_note_rate() -> None:
    terms = price(D(10_000), D(6), 36)
    assert terms.apr == D("6.00")
    assert terms.amount_financed == D("10000.00")
    assert terms.finance_charge == terms.total_interest


def test_apr_with_an_origination_fee() -> None:
    terms = price(D(10_000), D(6), 36, fees=D(300))
    assert terms.amount_financed == D("9700.00")
    assert terms.fees == D("300.00")
    assert terms.finance_charge == terms.total_interest + D(300)
    assert terms.total_of_payments == terms.amount_financed + terms.finance_charge
    assert terms.apr > D(6)
    payments = payments_of(terms.schedule())
    assert_rounds_root(terms.apr, D(9_700), payments)
    assert apr(D(9_700), payments) == terms.apr


def test_apr_regulation_z_appendix_j_shape() -> None:
    # 5,000 financed, 36 monthly payments of 166.07 (5,000 at 1% a month rounds to 166.07).
    payments = [D("166.07")] * 36
    result = apr(D(5_000), payments)
    assert result == D("12.00")
    assert_rounds_root(result, D(5_000), payments)
    # At the disclosed APR the payments are worth the amount financed to within the half a
    # hundredth of a point the rounding allows (about 0.37 here; 0.21 in fact) ...
    assert abs(present_value(result, payments) - 5_000) < D("0.40")
    # ... while an APR 1/8 of a point off (Regulation Z's tolerance) misprices by dollars.
    assert present_value(result - EIGHTH_POINT, payments) - 5_000 > 8
    assert 5_000 - present_value(result + EIGHTH_POINT, payments) > 8


def test_apr_with_an_irregular_final_payment() -> None:
    regular = [D(90)] * 11
    payments = [*regular, D(30)]
    result = apr(D(1_000), payments)
    assert_rounds_root(result, D(1_000), payments)
    assert result != apr(D(1_000), [*regular, D(90)])
    # The same stream given as runs of equal payments.
    assert apr_from_cents(100_000, [(9_000, 11), (3_000, 1)]) == result


def test_apr_exactly_on_a_rounding_boundary_rounds_half_up() -> None:
    # 2,400.00 repaid by 2,424.01 a month later: i = 24.01 / 2,400 = 1.000416...% a month,
    # so the APR is exactly 12.005 %, which rounds half-up to 12.01.
    assert Fraction("2424.01") / (1 + Fraction("12.005") / 1200) == 2_400
    assert apr(D(2_400), [D("2424.01")]) == D("12.01")
    # One cent less to repay on 960,000,000.00 puts the root 0.00000125 hundredths below it.
    assert apr(D(960_000_000), [D("969603999.99")]) == D("12.00")
    assert apr(D(960_000_000), [D("969604000.00")]) == D("12.01")


def test_apr_is_zero_when_the_payments_just_repay_the_amount_financed() -> None:
    assert apr(D(1_000), [D(250)] * 4) == D("0.00")


def test_apr_of_an_extreme_stream_converges() -> None:
    # 1.00 financed and 1,000,000.00 repaid a month later: i = 999,999 a month.
    result = apr(D(1), [D(1_000_000)])
    assert result == D(999_999 * 1200)


# --- schedule invariants and properties --------------------------------------------------------


def random_loan(rng: random.Random) -> tuple[Decimal, Decimal, int]:
    principal = D(rng.randint(100_000, 50_000_000)) / 100  # 1,000.00 to 500,000.00
    kind = rng.random()
    if kind < 0.1:
        rate = D(0)
    elif kind < 0.8:
        rate = D(rng.randint(1, 3_600)) / 100  # 0.01 % to 36.00 %
    else:
        rate = D(rng.randint(1, 36_000_000)) / 1_000_000  # up to six decimals
    if rng.random() < 0.5:
        term = rng.choice([1, 2, 6, 12, 24, 36, 48, 60, 72, 84, 120, 180, 240, 360])
    else:
        term = rng.randint(1, 360)
    return principal, rate, term


LOANS = [random_loan(random.Random(seed)) for seed in range(300)]


@pytest.mark.parametrize(("principal", "rate", "term"), LOANS[:40])
def test_schedule_invariants(principal: Decimal, rate: Decimal, term: int) -> None:
    try:
        rows = amortisation_schedule(principal, rate, term)
    except NotAmortisableError:
        pytest.skip("this combination does not amortise (checked in the property test)")
    assert len(rows) == term
    assert [row.number for row in rows] == list(range(1, term + 1))
    assert rows[-1].balance == D("0.00")
    assert sum(row.principal for row in rows) == principal
    assert sum(row.payment for row in rows) == principal + sum(row.interest for row in rows)
    for row in rows:
        assert row.payment >= 0 and row.interest >= 0
        assert row.principal >= 0 and row.balance >= 0
        assert row.payment == row.interest + row.principal
        assert all(
            value.as_tuple().exponent == -2
            for value in (row.payment, row.interest, row.principal, row.balance)
        )
    assert all(row.payment == rows[0].payment for row in rows[:-1])


def test_totals_equal_the_schedule_for_random_loans() -> None:
    priced = 0
    for principal, rate, term in LOANS:
        try:
            rows = amortisation_schedule(principal, rate, term)
        except NotAmortisableError:
            with pytest.raises(NotAmortisableError):
                total_interest(principal, rate, term)
            with pytest.raises(NotAmortisableError):
                price(principal, rate, term)
            continue
        priced += 1
        expected = reference_schedule(principal, rate, term)
        assert [
            (cents(r.payment), cents(r.interest), cents(r.principal), cents(r.balance))
            for r in rows
        ] == expected, (principal, rate, term)
        interest = sum(row.interest for row in rows)
        paid = sum(row.payment for row in rows)
        assert total_interest(principal, rate, term) == interest
        terms = price(principal, rate, term)
        assert terms.total_interest == interest == paid - principal
        assert terms.total_of_payments == paid
        assert terms.monthly_payment == monthly_payment(principal, rate, term)
        assert terms.monthly_payment == rows[0].payment
        assert terms.final_payment == rows[-1].payment
        assert terms.schedule() == rows
    assert priced >= 0.9 * len(LOANS)


def test_apr_properties_for_random_loans() -> None:
    rng = random.Random(2024)
    checked = 0
    for principal, rate, term in LOANS:
        fees = D(rng.randint(1, 60)) / 1_000 * principal  # 0.1 % to 6 % of the principal
        fees = fees.quantize(D("0.01"))
        try:
            plain = price(principal, rate, term)
        except NotAmortisableError:
            continue
        with_fees = price(principal, rate, term, fees=fees)
        checked += 1
        # No fees: the APR is the note rate, up to the cent rounding of the schedule (which
        # moves the root by well under 0.01 point for principals of 1,000 and more).
        assert abs(plain.apr - rate) <= D("0.01"), (principal, rate, term, plain.apr)
        if rate == rate.quantize(D("0.01")):
            assert plain.apr == rate
        # Fees only ever raise the APR; a fee of 1 % or more lifts it strictly above the rate.
        assert with_fees.apr >= plain.apr
        assert with_fees.apr >= rate
        if fees >= principal / 100:
            assert with_fees.apr > rate
        # The payments financed are the ones the schedule gives.
        assert with_fees.amount_financed == principal - fees
        assert with_fees.finance_charge == with_fees.total_interest + with_fees.fees
        if checked % 5 == 0:  # the exact rounding check is slower; a fifth of them suffice
            payments = payments_of(with_fees.schedule())
            assert_rounds_root(with_fees.apr, with_fees.amount_financed, payments)
            assert apr(with_fees.amount_financed, payments) == with_fees.apr
    assert checked >= 0.9 * len(LOANS)


def test_apr_rounding_for_random_irregular_streams() -> None:
    rng = random.Random(7)
    for _ in range(60):
        count = rng.randint(1, 120)
        payments = [D(rng.randint(1, 200_000)) / 100 for _ in range(count)]
        total = sum(payments)
        financed = (total * D(rng.randint(300, 1_000)) / 1_000).quantize(D("0.01"))
        result = apr(financed, payments)
        if financed == total:
            assert result == 0
        else:
            assert_rounds_root(result, financed, payments)


# --- degenerate loans --------------------------------------------------------------------------


def test_a_loan_repaid_before_its_last_month_is_refused() -> None:
    # 2.40 over 480 months at 0 %: 0.005 rounds up to 0.01, which repays it by month 240.
    with pytest.raises(NotAmortisableError, match="before its last month"):
        amortisation_schedule(D("2.40"), D(0), 480)
    with pytest.raises(NotAmortisableError, match="before its last month"):
        price(D("2.40"), D(0), 480)


def test_a_loan_that_would_end_in_a_balloon_is_refused() -> None:
    # 10,000 at 36 % over 480 months: 300.0000002 rounds to 300.00, exactly each month's
    # interest, so nothing is repaid until a last payment of 10,300.00.
    assert monthly_payment(D(10_000), D(36), 480) == D("300.00")
    with pytest.raises(NotAmortisableError, match="more than twice"):
        amortisation_schedule(D(10_000), D(36), 480)
    with pytest.raises(NotAmortisableError, match="more than twice"):
        price(D(10_000), D(36), 480)


def test_a_payment_that_rounds_to_nothing_is_refused() -> None:
    with pytest.raises(NotAmortisableError, match=r"payment of 0\.00"):
        monthly_payment(D("0.01"), D(0), 3)


# --- rate_for ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "premium", "expected"),
    [
        (D("5.25"), D("3.50"), D("8.75")),
        (D("5.25"), D("-3.00"), D("3.00")),  # clamped up to the minimum
        (D("5.25"), D("30.00"), D("29.99")),  # clamped down to the maximum
        (D("5.25"), D("24.74"), D("29.99")),  # exactly the maximum
    ],
)
def test_rate_for(base: Decimal, premium: Decimal, expected: Decimal) -> None:
    assert rate_for(base, premium, D("3.00"), D("29.99")) == expected


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "term", "message"),
    [
        (D(0), D(6), 36, "principal must be greater than zero"),
        (D(-100), D(6), 36, "principal must be greater than zero"),
        (D("100.001"), D(6), 36, "whole number of cents"),
        (D("NaN"), D(6), 36, "finite"),
        (D("Infinity"), D(6), 36, "finite"),
        (D("1000000000.01"), D(6), 36, "at most"),
        (D(1_000), D(6), 0, "term_months must be 1 to 480"),
        (D(1_000), D(6), 481, "term_months must be 1 to 480"),
        (D(1_000), D("-0.01"), 36, "annual_rate_percent must be 0 to 100"),
        (D(1_000), D("100.01"), 36, "annual_rate_percent must be 0 to 100"),
        (D(1_000), D("6.1234567"), 36, "more than 6 decimal places"),
        (D(1_000), D("NaN"), 36, "finite"),
    ],
)
def test_invalid_loans_are_refused(
    principal: Decimal, rate: Decimal, term: int, message: str
) -> None:
    for function in (monthly_payment, amortisation_schedule, total_interest, price):
        with pytest.raises(ValueError, match=message):
            function(principal, rate, term)


def test_floats_and_bools_are_refused() -> None:
    with pytest.raises(TypeError, match="principal must be a Decimal or int"):
        monthly_payment(1000.0, D(6), 36)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="annual_rate_percent must be a Decimal or int"):
        monthly_payment(D(1_000), 6.5, 36)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="term_months must be an int"):
        monthly_payment(D(1_000), D(6), True)
    with pytest.raises(TypeError, match="term_months must be an int"):
        monthly_payment(D(1_000), D(6), 36.0)  # type: ignore[arg-type]


def test_ints_are_accepted() -> None:
    assert monthly_payment(10_000, 6, 36) == D("304.22")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fees", "message"),
    [
        (D(-1), "fees must be at least 0"),
        (D(1_000), "less than the principal"),
        (D("0.001"), "whole number of cents"),
    ],
)
def test_invalid_fees_are_refused(fees: Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        price(D(1_000), D(6), 12, fees=fees)


@pytest.mark.parametrize(
    ("financed", "payments", "message"),
    [
        (D(0), [D(100)], "amount_financed must be greater than zero"),
        (D(100), [], "payments must hold 1 to 480"),
        (D(100), [D(1)] * 481, "payments must hold 1 to 480"),
        (D(100), [D(60), D(-10), D(60)], "must not be negative"),
        (D(100), [D(50), D("49.99")], "the APR would be negative"),
        (D(100), [D("50.005"), D(60)], "whole number of cents"),
    ],
)
def test_invalid_apr_inputs_are_refused(
    financed: Decimal, payments: list[Decimal], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        apr(financed, payments)


@pytest.mark.parametrize(
    ("minimum", "maximum"),
    [(D(10), D(5)), (D(-1), D(5)), (D(5), D("100.01"))],
)
def test_invalid_rate_bounds_are_refused(minimum: Decimal, maximum: Decimal) -> None:
    with pytest.raises(ValueError, match="minimum <= maximum"):
        rate_for(D(5), D(1), minimum, maximum)
