"""Decision statistics on a real broker: the faust worker runs as ``python -m
services.notifier.stats`` and publishes closed windows whose figures are checked exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from confluent_kafka import Message

from services.common.contracts import Topics
from services.common.contracts.notifications import DecisionStats
from services.common.runtime.codec import decode
from services.common.runtime.envelope import Envelope
from services.notifier.stats.records import SOURCE
from tests.integration.runtime.support import StageProcess, make_topics, produce, read_committed
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
GRACE_S = 5
STARTUP_AND_IDLE_S = 180.0  # generous: two cores shared with other test runs


def at(minute: int, second: int) -> datetime:
    return T0 + timedelta(minutes=minute, seconds=second)


def decision(
    number: int,
    decided_at: datetime,
    product: str,
    outcome: str,
    requested: float,
    offered: float | None = None,
    pd: float | None = None,
) -> tuple[str, bytes]:
    payload: dict[str, Any] = samples.decision_payload()
    payload.update(
        application_id=str(UUID(int=number)),
        outcome=outcome,
        requested={"product": product, "amount": requested, "term_years": 5},
        received_at=(decided_at - timedelta(seconds=3)).isoformat(),
        decided_at=decided_at.isoformat(),
        probability_of_default=pd,
        narrative=None,
    )
    if offered is None:
        payload["offers"] = []
    else:
        offer = {**payload["offers"][0], "product": product, "amount": offered}
        # Only the first offer counts towards offered_amount.
        payload["offers"] = [offer, {**offer, "offer_id": "alt", "amount": 1000.0}]
    return payload["application_id"], json.dumps(payload).encode()


# Amounts and probabilities are exact in binary, so the expected figures below are exact.
MINUTE_0 = [
    decision(1, at(0, 5), "Car", "approved", 10_000.0, 9_000.0, pd=0.25),
    decision(2, at(0, 20), "Car", "approved", 20_000.0, 15_000.0),
    decision(3, at(0, 30), "Home", "declined", 300_000.0, pd=0.5),
    decision(4, at(0, 59), "Home", "declined", 100_000.0, pd=0.75),
]
MINUTE_1 = [
    decision(5, at(1, 0), "Car", "approved", 5_000.5, 5_000.25, pd=0.125),
    decision(6, at(1, 10), "Education", "referred", 12_000.0),
    decision(7, at(1, 15), "Education", "referred", 8_000.0),
    decision(8, at(1, 40), "Education", "referred", 8_000.0, pd=0.0625),
    decision(9, at(1, 50), "Car", "counter_offered", 15_000.0, 12_000.75, pd=0.375),
]
MINUTE_2 = [
    decision(10, at(2, 10), "Car", "approved", 7_000.0, 7_000.0, pd=0.25),
    decision(11, at(2, 30), "Car", "approved", 3_000.0, 2_500.0, pd=0.5),
    decision(12, at(2, 40), "Gold", "declined", 2_000.0),
]
# Decided in minute 0 but read after event time reached minute 2: beyond the grace.
LATE = decision(13, at(0, 30), "Car", "approved", 50_000.0, 50_000.0, pd=0.5)
NOT_JSON = ("bad-1", b"{this is not json")
NOT_A_DECISION = ("bad-2", json.dumps({**samples.decision_payload(), "offers": []}).encode())


def stats(
    minute: int,
    product: str,
    outcome: str,
    decisions: int,
    requested: float,
    offered: float,
    pd: float | None,
) -> DecisionStats:
    return DecisionStats.model_validate(
        {
            "window_start": at(minute, 0),
            "window_end": at(minute + 1, 0),
            "product": product,
            "outcome": outcome,
            "decisions": decisions,
            "requested_amount": requested,
            "offered_amount": offered,
            "mean_probability_of_default": pd,
        }
    )


EXPECTED_0 = [
    stats(0, "Car", "approved", 2, 30_000.0, 24_000.0, 0.25),
    stats(0, "Home", "declined", 2, 400_000.0, 0.0, 0.625),
]
EXPECTED_1 = [
    stats(1, "Car", "approved", 1, 5_000.5, 5_000.25, 0.125),
    stats(1, "Education", "referred", 3, 28_000.0, 0.0, 0.0625),
    stats(1, "Car", "counter_offered", 1, 15_000.0, 12_000.75, 0.375),
]
EXPECTED_2 = [
    stats(2, "Car", "approved", 2, 10_000.0, 9_500.0, 0.375),
    stats(2, "Gold", "declined", 1, 2_000.0, 0.0, None),
]


def worker(name: str, tmp_path: Path, bootstrap: str, *, idle_close_s: float) -> StageProcess:
    return StageProcess(
        args=["-m", "services.notifier.stats"],
        env={
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "PRESCREEN_NOTIFIER_STATS_APP_ID": f"{name}-stats",
            "PRESCREEN_NOTIFIER_STATS_INPUT_TOPIC": f"{name}.decisions",
            "PRESCREEN_NOTIFIER_STATS_OUTPUT_TOPIC": f"{name}.stats",
            "PRESCREEN_NOTIFIER_STATS_GRACE_S": str(GRACE_S),
            "PRESCREEN_NOTIFIER_STATS_IDLE_CLOSE_S": str(idle_close_s),
            "PRESCREEN_NOTIFIER_STATS_WEB_ENABLED": "false",
            "PRESCREEN_NOTIFIER_STATS_DATA_DIR": str(tmp_path / "faust-data"),
            "PYTHONUNBUFFERED": "1",
        },
        log_path=tmp_path / f"{name}.log",
    )


def published(bootstrap: str, topic: str, expected: int) -> dict[str, list[DecisionStats]]:
    """Every record read, decoded as the registered stats topic, by key."""
    by_key: dict[str, list[DecisionStats]] = {}
    records = read_committed(bootstrap, topic, expected=expected, timeout_s=STARTUP_AND_IDLE_S)
    for offset, (key, value, headers) in enumerate(records):
        message = Message(
            topic=topic,
            partition=0,
            offset=offset,
            key=key,
            value=value,
            headers=list(headers.items()),
            timestamp=(1, 1_800_000_000_000),
        )
        envelope = decode(message, Topics.DECISION_STATS)
        assert isinstance(envelope, Envelope), envelope
        assert envelope.event.type == Topics.DECISION_STATS.ce_type
        assert envelope.event.source == SOURCE
        assert envelope.key is not None
        assert envelope.key == envelope.event.subject == envelope.value.key
        by_key.setdefault(envelope.key, []).append(envelope.value)
    return by_key


def test_closed_windows_carry_exact_figures_and_bad_records_are_skipped(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    # One input partition fixes the reading order, so which decision is late is certain.
    make_topics(kafka_bootstrap, f"{unique_name}.decisions", partitions=1)
    make_topics(kafka_bootstrap, f"{unique_name}.stats", partitions=3)
    records = [
        *MINUTE_0[:2],
        NOT_JSON,
        MINUTE_0[0],  # redelivered: counted once
        *MINUTE_0[2:],
        *MINUTE_1[:2],
        NOT_A_DECISION,
        *MINUTE_1[2:],
        *MINUTE_2,
        LATE,
    ]
    # lz4, as the offers stage writes them: the worker must decode the batches it really gets.
    produce(kafka_bootstrap, f"{unique_name}.decisions", records, compression="lz4")
    expected = EXPECTED_0 + EXPECTED_1 + EXPECTED_2
    process = worker(unique_name, tmp_path, kafka_bootstrap, idle_close_s=20).start()
    try:
        by_key = published(kafka_bootstrap, f"{unique_name}.stats", len(expected))
        assert process.terminate(timeout=60) == 0
    finally:
        process.stop_quietly()
    assert by_key == {item.key: [item] for item in expected}
    log = process.log_path.read_text()
    skipped = [json.loads(line) for line in log.splitlines() if "not a valid LoanDecision" in line]
    assert [(entry["offset"], entry["error_class"]) for entry in skipped] == [
        (2, "ValidationError"),
        (8, "ValidationError"),
    ]
    assert all(entry["topic"] == f"{unique_name}.decisions" for entry in skipped)
    late = [json.loads(line) for line in log.splitlines() if "late decision" in line]
    assert [entry["window"] for entry in late] == [f"{at(0, 0).isoformat()}|Car|approved"]
    # The records' keys are application ids and the values hold customer ids: neither is logged.
    customer = samples.decision_payload()["customer_id"]
    assert customer not in log
    assert not any(key in log for key, _ in records)


def test_a_restarted_worker_recovers_open_windows_from_its_changelog(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    make_topics(kafka_bootstrap, f"{unique_name}.decisions", partitions=1)
    make_topics(kafka_bootstrap, f"{unique_name}.stats", partitions=3)
    produce(kafka_bootstrap, f"{unique_name}.decisions", MINUTE_0 + MINUTE_1)
    # Minute 0 closes by event time; minute 1 stays open while this worker runs.
    first = worker(unique_name, tmp_path, kafka_bootstrap, idle_close_s=3600).start()
    try:
        before = published(kafka_bootstrap, f"{unique_name}.stats", len(EXPECTED_0))
        assert first.terminate(timeout=60) == 0
    finally:
        first.stop_quietly()
    assert before == {item.key: [item] for item in EXPECTED_0}
    # Nothing new arrives: the open windows come back from the changelog and close when idle.
    second = worker(unique_name, tmp_path, kafka_bootstrap, idle_close_s=10).start()
    try:
        after = published(
            kafka_bootstrap, f"{unique_name}.stats", len(EXPECTED_0) + len(EXPECTED_1)
        )
        assert second.terminate(timeout=60) == 0
    finally:
        second.stop_quietly()
    assert after == {item.key: [item] for item in EXPECTED_0 + EXPECTED_1}
