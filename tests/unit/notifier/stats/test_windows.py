"""Window assignment, what one decision contributes, the aggregate and the event built from it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import LoanProduct
from services.notifier.stats.windows import (
    Contribution,
    WindowKey,
    aggregate,
    build_stats,
    by_window,
    window_bounds,
)
from tests.unit.notifier.stats.helpers import decision

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "start"),
    [
        (T0, T0),
        (T0 + timedelta(microseconds=1), T0),
        (T0 + timedelta(seconds=59, microseconds=999_999), T0),
        (T0 + MINUTE, T0 + MINUTE),
        (T0 - timedelta(microseconds=1), T0 - MINUTE),
    ],
)
def test_a_window_holds_its_start_but_not_its_end(at: datetime, start: datetime) -> None:
    assert window_bounds(at, MINUTE) == (start, start + MINUTE)


def test_other_offsets_land_in_the_utc_window() -> None:
    plus_two = timezone(timedelta(hours=2))
    start, end = window_bounds(datetime(2026, 3, 2, 16, 5, 30, tzinfo=plus_two), MINUTE)
    assert (start, end) == (T0, T0 + MINUTE)
    assert start.utcoffset() == timedelta(0)


def test_windows_align_to_the_epoch_for_any_size() -> None:
    size = timedelta(seconds=90)
    start, end = window_bounds(datetime(1970, 1, 1, 0, 4, tzinfo=UTC), size)
    assert (start, end) == (
        datetime(1970, 1, 1, 0, 3, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 4, 30, tzinfo=UTC),
    )


def test_naive_times_and_empty_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        window_bounds(datetime(2026, 3, 2, 14, 5), MINUTE)
    with pytest.raises(ValueError, match="positive"):
        window_bounds(T0, timedelta(0))


def test_a_contribution_takes_product_outcome_amounts_and_the_first_offer() -> None:
    source = decision(
        7,
        T0 + timedelta(seconds=42),
        product="Home",
        requested=250_000.0,
        offered=200_000.0,
        pd=0.04,
        revision=2,
    )
    contribution = Contribution.of(source, MINUTE)
    assert contribution.decision_id == f"{source.application_id}:2"
    assert (contribution.window_start, contribution.window_end) == (T0, T0 + MINUTE)
    assert contribution.product is LoanProduct.HOME
    assert contribution.outcome is DecisionOutcome.APPROVED
    assert contribution.requested_amount == 250_000.0
    assert contribution.offered_amount == 200_000.0  # the first offer, not the sum of both
    assert contribution.probability_of_default == 0.04
    assert contribution.window.text == f"{T0.isoformat()}|Home|approved"


def test_a_decision_without_offers_offers_nothing() -> None:
    contribution = Contribution.of(decision(8, T0, outcome="declined"), MINUTE)
    assert contribution.offered_amount == 0.0
    assert contribution.outcome is DecisionOutcome.DECLINED


def test_a_contribution_survives_json_with_the_same_window_key() -> None:
    contribution = Contribution.of(decision(9, T0 + timedelta(seconds=1)), MINUTE)
    again = Contribution.model_validate_json(contribution.model_dump_json())
    assert again.window == contribution.window
    assert again.window.text == contribution.window.text
    assert again.state_key == contribution.state_key


def contributions(*pds: float | None, amounts: tuple[float, ...] = ()) -> list[Contribution]:
    amounts = amounts or tuple(1_000.0 * (n + 1) for n in range(len(pds)))
    return [
        Contribution.of(
            decision(n + 1, T0 + timedelta(seconds=n), requested=amount, offered=amount / 2, pd=pd),
            MINUTE,
        )
        for n, (pd, amount) in enumerate(zip(pds, amounts, strict=True))
    ]


def test_aggregate_counts_sums_and_averages_only_the_scored_decisions() -> None:
    figures = aggregate(contributions(0.1, None, 0.3, None))
    assert figures.decisions == 4
    assert figures.requested_amount == 10_000.0  # 1000 + 2000 + 3000 + 4000
    assert figures.offered_amount == 5_000.0
    assert figures.mean_probability_of_default == pytest.approx(0.2)


def test_no_scored_decision_gives_no_mean() -> None:
    assert aggregate(contributions(None, None)).mean_probability_of_default is None


def test_a_redelivered_decision_counts_once() -> None:
    items = contributions(0.5, 0.25)
    figures = aggregate([*items, items[0]])
    assert figures.decisions == 2
    assert figures.requested_amount == 3_000.0
    assert figures.mean_probability_of_default == 0.375


def test_figures_do_not_depend_on_the_order_the_decisions_were_read_in() -> None:
    # Naive float addition of these probabilities gives different means in different orders.
    amounts = (0.1, 1e8, 0.2, 0.3, 1e8 + 0.07, 0.01)
    items = contributions(0.1, 0.2, 0.3, 0.7, 0.11, 0.13, amounts=amounts)
    expected = aggregate(items)
    shuffler = random.Random(5)
    for _ in range(20):
        shuffled = items[:]
        shuffler.shuffle(shuffled)
        assert aggregate(shuffled) == expected
    assert expected.requested_amount == 200_000_000.68


def test_an_empty_window_has_no_figures() -> None:
    with pytest.raises(ValueError, match="at least one"):
        aggregate([])


def test_decisions_group_by_window_product_and_outcome() -> None:
    items = [
        Contribution.of(decision(1, T0), MINUTE),
        Contribution.of(decision(2, T0 + timedelta(seconds=30)), MINUTE),
        Contribution.of(decision(3, T0 + MINUTE), MINUTE),
        Contribution.of(decision(4, T0, product="Home"), MINUTE),
        Contribution.of(decision(5, T0, outcome="referred"), MINUTE),
    ]
    grouped = by_window(items)
    car = WindowKey(T0, T0 + MINUTE, LoanProduct.CAR, DecisionOutcome.APPROVED)
    assert [c.decision_id for c in grouped[car]] == [items[0].decision_id, items[1].decision_id]
    assert len(grouped) == 4


def test_stats_carry_the_window_and_the_figures_under_the_window_key() -> None:
    window = WindowKey(T0, T0 + MINUTE, LoanProduct.GOLD, DecisionOutcome.DECLINED)
    stats = build_stats(window, aggregate(contributions(0.2, 0.4)))
    assert stats.key == window.text == f"{T0.isoformat()}|Gold|declined"
    assert (stats.window_start, stats.window_end) == (T0, T0 + MINUTE)
    assert (stats.product, stats.outcome) == (LoanProduct.GOLD, DecisionOutcome.DECLINED)
    assert (stats.decisions, stats.requested_amount, stats.offered_amount) == (2, 3_000.0, 1_500.0)
    assert stats.mean_probability_of_default == pytest.approx(0.3)
