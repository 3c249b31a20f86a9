"""The rolling window: counts, rates, reasons, the PD histogram, percentiles, eviction, and the
absence of personal data in what it publishes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import LoanProduct
from services.notifier.dashboard.models import END_TO_END
from services.notifier.dashboard.window import OTHER_REASONS, DecisionWindow
from tests.unit.contracts import samples
from tests.unit.notifier.dashboard.support import DECLINE_REASONS, decision

NOW = datetime(2026, 3, 2, 14, 5, 30, tzinfo=UTC)


def test_counts_by_outcome_product_and_minute_and_the_approval_rate() -> None:
    window = DecisionWindow(window_minutes=15)
    plan = [
        ("approved", "Car", 0),
        ("approved", "Car", 1),
        ("approved", "Home", 1),
        ("counter_offered", "Personal", 3),
        ("declined", "Car", 3),
        ("declined", "Personal", 14),
        ("referred", "Home", 0),
        ("referred", "Home", 2),
    ]
    for number, (outcome, product, minutes_ago) in enumerate(plan, start=1):
        row = window.add(
            decision(
                number,
                decided_at=NOW - timedelta(minutes=minutes_ago),
                outcome=outcome,
                product=product,
            ),
            NOW,
        )
        assert row is not None and row.outcome == outcome

    snapshot = window.snapshot(NOW)

    assert snapshot.decisions == 8
    assert snapshot.by_outcome == {
        DecisionOutcome.APPROVED: 3,
        DecisionOutcome.COUNTER_OFFERED: 1,
        DecisionOutcome.REFERRED: 2,
        DecisionOutcome.DECLINED: 2,
    }
    assert snapshot.by_product[LoanProduct.CAR] == 3
    assert snapshot.by_product[LoanProduct.HOME] == 3
    assert snapshot.by_product[LoanProduct.PERSONAL] == 2
    assert snapshot.by_product[LoanProduct.GOLD] == 0
    assert snapshot.approval.rate == pytest.approx(4 / 8)
    assert (snapshot.approval.approved, snapshot.approval.counter_offered) == (3, 1)
    assert snapshot.approval.decisions == 8
    assert "counter_offered" in snapshot.approval.counts
    # Fifteen minutes, oldest first, ending with the current one.
    assert len(snapshot.minutes) == 15
    assert snapshot.minutes[-1].start == datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    assert snapshot.window_start == datetime(2026, 3, 2, 13, 51, tzinfo=UTC)
    totals = [minute.total for minute in snapshot.minutes]
    assert totals[-1] == 2 and totals[-2] == 2 and totals[-3] == 1 and totals[-4] == 2
    assert totals[0] == 1 and sum(totals) == 8
    assert snapshot.minutes[-2].by_outcome[DecisionOutcome.APPROVED] == 2
    assert snapshot.minutes[-2].by_product[LoanProduct.HOME] == 1


def test_an_empty_window_has_no_approval_rate() -> None:
    snapshot = DecisionWindow().snapshot(NOW)
    assert snapshot.decisions == 0 and snapshot.approval.rate is None
    assert all(stat.count == 0 and stat.p50_ms is None for stat in snapshot.latency)


def test_top_decline_reasons_count_declines_only_with_their_text() -> None:
    window = DecisionWindow(top_reasons=1)
    both = DECLINE_REASONS
    window.add(decision(1, decided_at=NOW, outcome="declined", reasons=both), NOW)
    window.add(decision(2, decided_at=NOW, outcome="declined", reasons=both[:1]), NOW)
    window.add(decision(3, decided_at=NOW, outcome="declined", reasons=both[1:]), NOW)
    window.add(decision(4, decided_at=NOW, outcome="declined", reasons=both[:1]), NOW)
    # An approval's reasons say why it was approved: they are no decline reasons.
    window.add(decision(5, decided_at=NOW, outcome="approved"), NOW)

    assert [(r.code, r.text, r.count) for r in window.snapshot(NOW).decline_reasons] == [
        ("DTI_TOO_HIGH", DECLINE_REASONS[0]["text"], 3)
    ]
    wider = DecisionWindow(top_reasons=5)
    for number in range(1, 4):
        wider.add(decision(number, decided_at=NOW, outcome="declined", reasons=both), NOW)
    assert [(r.code, r.count) for r in wider.snapshot(NOW).decline_reasons] == [
        ("DTI_TOO_HIGH", 3),
        ("SHORT_CREDIT_HISTORY", 3),
    ]


def test_reason_codes_per_minute_are_capped() -> None:
    window = DecisionWindow(top_reasons=50)
    extra = 5
    for number in range(DecisionWindow.MAX_REASON_CODES + extra):
        reason = {"code": f"CODE_{number:03d}", "text": "A reason."}
        window.add(decision(number + 1, decided_at=NOW, outcome="declined", reasons=(reason,)), NOW)
    reasons = {r.code: r.count for r in window.snapshot(NOW).decline_reasons}
    assert reasons[OTHER_REASONS] == extra
    assert len(reasons) == 50


def test_probability_of_default_histogram() -> None:
    window = DecisionWindow()
    for number, probability in enumerate([0.0, 0.05, 0.15, 0.95, 1.0, None], start=1):
        window.add(decision(number, decided_at=NOW, probability=probability), NOW)
    histogram = window.snapshot(NOW).probability_of_default
    assert [b.count for b in histogram.bins] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert (histogram.bins[0].lower, histogram.bins[-1].upper) == (0.0, 1.0)
    assert (histogram.scored, histogram.unscored) == (5, 1)


def test_latency_percentiles_per_stage_and_end_to_end() -> None:
    window = DecisionWindow()
    for number in range(1, 101):
        window.add(
            decision(
                number,
                decided_at=NOW - timedelta(seconds=number % 30),
                elapsed_s=9.0,
                timings={"scoring": float(number), "offers": 2.5},
            ),
            NOW,
        )
    stats = {stat.stage: stat for stat in window.snapshot(NOW).latency}
    scoring = stats["scoring"]
    assert scoring.count == 100
    assert scoring.p50_ms == pytest.approx(50, rel=0.06)
    assert scoring.p99_ms == pytest.approx(99, rel=0.06)
    # One value only: the clamp to the observed range makes it exact.
    assert stats["offers"].p50_ms == stats["offers"].p99_ms == 2.5
    assert stats[END_TO_END].p50_ms == stats[END_TO_END].p99_ms == 9000.0
    assert stats["fraud"].count == 0 and stats["fraud"].p99_ms is None


def test_the_window_rolls_and_forgets_old_minutes() -> None:
    window = DecisionWindow(window_minutes=5)
    window.add(decision(1, decided_at=NOW - timedelta(minutes=4)), NOW)
    window.add(decision(2, decided_at=NOW, outcome="declined"), NOW)
    assert window.buckets == 2 and window.snapshot(NOW).decisions == 2

    later = NOW + timedelta(minutes=1)
    snapshot = window.snapshot(later)
    assert snapshot.decisions == 1 and window.buckets == 1
    assert [row.application_id for row in snapshot.latest] == [UUID(int=2)]

    gone = NOW + timedelta(minutes=5)
    snapshot = window.snapshot(gone)
    assert snapshot.decisions == 0 and window.buckets == 0 and snapshot.latest == ()
    assert snapshot.decline_reasons == ()


def test_decisions_outside_the_window_are_ignored_and_counted() -> None:
    window = DecisionWindow(window_minutes=5)
    assert window.add(decision(1, decided_at=NOW - timedelta(minutes=6)), NOW) is None
    assert window.add(decision(2, decided_at=NOW + timedelta(minutes=5)), NOW) is None
    # A little ahead (another host's clock) counts in the current minute.
    assert window.add(decision(3, decided_at=NOW + timedelta(seconds=45)), NOW) is not None
    snapshot = window.snapshot(NOW)
    assert snapshot.decisions == 1 and snapshot.minutes[-1].total == 1
    assert snapshot.ignored_outside_window == 2


def test_latest_decisions_are_newest_first_bounded_and_deduplicated() -> None:
    window = DecisionWindow(latest_count=3)
    for number in range(1, 6):
        window.add(decision(number, decided_at=NOW - timedelta(seconds=60 - number)), NOW)
    # Read again (a replay): one row, not two.
    window.add(decision(5, decided_at=NOW - timedelta(seconds=55)), NOW)
    # Older than what the table shows: counted, not listed.
    window.add(decision(9, decided_at=NOW - timedelta(minutes=3)), NOW)
    latest = window.snapshot(NOW).latest
    assert [row.application_id for row in latest] == [UUID(int=n) for n in (5, 4, 3)]


def test_rows_carry_the_offer_and_reasons_but_no_personal_data() -> None:
    window = DecisionWindow()
    approved = decision(1, decided_at=NOW)
    declined = decision(2, decided_at=NOW, outcome="declined", reasons=DECLINE_REASONS)
    window.add(approved, NOW)
    window.add(declined, NOW)
    snapshot = window.snapshot(NOW)
    rows = {row.application_id: row for row in snapshot.latest}
    offer = rows[UUID(int=1)].first_offer
    assert offer is not None and offer.interest_rate == approved.offers[0].interest_rate
    assert offer.amount == approved.offers[0].amount and offer.term_months == 60
    assert rows[UUID(int=1)].requested_amount == approved.requested.amount
    assert rows[UUID(int=2)].first_offer is None
    assert rows[UUID(int=2)].reason_codes == ("DTI_TOO_HIGH", "SHORT_CREDIT_HISTORY")

    text = snapshot.model_dump_json()
    sample = samples.decision_payload()
    assert sample["customer_id"] not in text
    assert sample["narrative"] not in text
    assert "customer_id" not in text and "narrative" not in text
