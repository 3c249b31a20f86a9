"""The closing rule: event time past the end plus the grace, or a quiet wall clock; late ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import LoanProduct
from services.notifier.stats.closing import ClosingRule, Progress, due
from services.notifier.stats.windows import Contribution, WindowKey
from tests.unit.notifier.stats.helpers import decision

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
RULE = ClosingRule(grace=timedelta(seconds=10), idle_close=timedelta(seconds=120))
BUSY = timedelta(seconds=1)


def window(minute: int, product: LoanProduct = LoanProduct.CAR) -> WindowKey:
    start = T0 + minute * MINUTE
    return WindowKey(start, start + MINUTE, product, DecisionOutcome.APPROVED)


def at(minute: int, seconds: float = 0) -> datetime:
    return T0 + minute * MINUTE + timedelta(seconds=seconds)


def contribution(decided_at: datetime) -> Contribution:
    return Contribution.of(decision(1, decided_at), MINUTE)


def test_nothing_closes_before_event_time_passes_the_end_plus_the_grace() -> None:
    windows = [window(0), window(1)]
    assert RULE.horizon(Progress(), windows, BUSY) is None
    assert RULE.horizon(Progress(watermark=at(1, 9.999)), windows, BUSY) is None
    horizon = RULE.horizon(Progress(watermark=at(1, 10)), windows, BUSY)
    assert horizon == at(1)
    assert due(windows, horizon) == [window(0)]


def test_one_horizon_closes_every_product_of_the_older_windows_oldest_first() -> None:
    windows = [window(2), window(0, LoanProduct.HOME), window(1), window(0)]
    horizon = RULE.horizon(Progress(watermark=at(3, 30)), windows, BUSY)
    assert horizon is not None
    assert due(windows, horizon) == [window(0), window(0, LoanProduct.HOME), window(1), window(2)]


def test_a_quiet_period_closes_every_open_window() -> None:
    windows = [window(0), window(1)]
    progress = Progress(watermark=at(1, 5))
    assert RULE.horizon(progress, windows, timedelta(seconds=119)) is None
    horizon = RULE.horizon(progress, windows, timedelta(seconds=120))
    assert horizon == at(2)
    assert due(windows, horizon) == windows


def test_without_open_windows_nothing_is_due_even_when_idle() -> None:
    assert RULE.horizon(Progress(watermark=at(5)), [], timedelta(hours=1)) is None


def test_windows_left_behind_a_closing_mark_are_due_again() -> None:
    # A restart between the mark and the publication finds them still stored.
    progress = Progress(watermark=at(1, 1), closed_until=at(1))
    assert RULE.horizon(progress, [window(0), window(1)], BUSY) == at(1)


def test_a_decision_is_late_once_event_time_passed_its_window_plus_the_grace() -> None:
    assert not RULE.is_late(contribution(at(0, 30)), Progress())
    assert not RULE.is_late(contribution(at(0, 30)), Progress(watermark=at(1, 9)))
    assert RULE.is_late(contribution(at(0, 30)), Progress(watermark=at(1, 10)))
    assert not RULE.is_late(contribution(at(1)), Progress(watermark=at(1, 10)))


def test_a_decision_for_a_window_the_idle_rule_closed_is_late() -> None:
    progress = Progress(watermark=at(1, 5), closed_until=at(2))
    assert RULE.is_late(contribution(at(1, 50)), progress)
    assert not RULE.is_late(contribution(at(2)), progress)


def test_progress_only_moves_forward() -> None:
    progress = Progress().seen(at(2)).seen(at(1)).closing(at(1)).closing(at(0))
    assert progress == Progress(watermark=at(2), closed_until=at(1))
    published = progress.published(at(1))
    assert published.already_published(window(0))
    assert not published.already_published(window(1))
    assert not Progress().already_published(window(0))


def test_progress_round_trips_through_the_table_bytes() -> None:
    progress = Progress(watermark=at(2, 3), closed_until=at(1), published_until=at(1))
    assert Progress.model_validate_json(progress.model_dump_json()) == progress
