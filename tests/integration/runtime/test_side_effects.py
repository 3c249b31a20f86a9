"""Acceptance: ``once`` side effects across a crash, and SIGTERM during a batch."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from services.common.runtime.relay import RelayEvent
from tests.integration.runtime.support import (
    StageProcess,
    make_topics,
    produce_events,
    read_committed,
    relay_events,
    stage_env,
)

pytestmark = pytest.mark.integration

MODULE = "tests.integration.runtime.side_effect_stage"


def test_side_effect_runs_once_across_a_crash_between_call_and_commit(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=1)
    [event] = relay_events(1)
    produce_events(kafka_bootstrap, source, [event])
    args = ["-m", MODULE, "--stage", unique_name, "--input", source, "--output", sink]
    env = stage_env(kafka_bootstrap, redis_url, instance="only")

    crashing = StageProcess([*args, "--crash-after-call"], env, tmp_path / "crash.log").start()
    assert crashing.process is not None
    assert crashing.process.wait(timeout=60) == 17, (tmp_path / "crash.log").read_text()

    client = redis.Redis.from_url(redis_url)
    calls_key = f"test:{unique_name}:calls:{event.event_id}"
    assert client.get(calls_key) == b"1", "the side effect ran before the crash"
    assert read_committed(kafka_bootstrap, sink, expected=1, timeout_s=3, settle_s=0) == []

    healthy = StageProcess(args, env, tmp_path / "run.log").start()
    try:
        records = read_committed(kafka_bootstrap, sink, expected=1, timeout_s=60, settle_s=2)
    finally:
        healthy.stop_quietly()
    assert client.get(calls_key) == b"1", "the side effect was called again on replay"
    assert len(records) == 1
    out = RelayEvent.model_validate_json(records[0][1] or b"")
    assert out.payload == f"r-{event.event_id}", "the stored result was reused"


def test_sigterm_mid_batch_drains_commits_and_exits_cleanly(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=2)
    events = relay_events(400)
    produce_events(kafka_bootstrap, source, events)
    args = [
        "-m",
        MODULE,
        "--stage",
        unique_name,
        "--input",
        source,
        "--output",
        sink,
        "--slow-ms",
        "1500",
        "--batch",
        "50",
    ]
    env = stage_env(kafka_bootstrap, redis_url, instance="only")

    first = StageProcess(args, env, tmp_path / "first.log").start()
    before = read_committed(kafka_bootstrap, sink, expected=50, timeout_s=60, settle_s=0.5)
    assert 0 < len(before) < len(events), "signal must arrive mid-stream"
    started = time.monotonic()
    assert first.terminate(timeout=30) == 0, (tmp_path / "first.log").read_text()
    assert time.monotonic() - started < 15, "drain took longer than one batch"
    log = (tmp_path / "first.log").read_text()
    assert "stage stopped" in log

    second = StageProcess(args[:-4], env, tmp_path / "second.log").start()
    try:
        records = read_committed(
            kafka_bootstrap, sink, expected=len(events), timeout_s=90, settle_s=3
        )
    finally:
        second.stop_quietly()
    counts = Counter(RelayEvent.model_validate_json(v or b"").event_id for _k, v, _h in records)
    assert set(counts) == {e.event_id for e in events}
    assert max(counts.values()) == 1
