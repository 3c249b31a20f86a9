"""Acceptance: a pass-through chain loses and doubles nothing while its stages are SIGKILLed."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

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

EVENTS = 10_000


@pytest.mark.parametrize(
    ("dedup", "dwell_ms"),
    [(True, 0), (False, 150)],
    ids=["with-redis-dedup", "transactions-only-killed-mid-transaction"],
)
def test_chain_survives_sigkill_with_exact_set_equality(
    kafka_bootstrap: str,
    redis_url: str,
    unique_name: str,
    tmp_path: Path,
    dedup: bool,
    dwell_ms: int,
) -> None:
    source, middle, sink = (f"{unique_name}.{n}" for n in ("in", "mid", "out"))
    make_topics(kafka_bootstrap, source, middle, sink, partitions=3)
    # Without dedup, only Kafka transactions stand between a crash and a duplicate. Holding
    # each transaction open (records already on the broker) makes every kill land inside one.
    extra = [] if dedup else ["--no-dedup"]
    extra += ["--dwell-in-transaction-ms", str(dwell_ms)]

    def stage(name: str, src: str, dst: str) -> StageProcess:
        return StageProcess(
            args=[
                "-m",
                "services.common.runtime.relay",
                "--stage",
                f"{unique_name}-{name}",
                "--input",
                src,
                "--output",
                dst,
                *extra,
            ],
            env=stage_env(kafka_bootstrap, redis_url, instance=f"{name}-0"),
            log_path=tmp_path / f"{name}.log",
        )

    stages = {
        "hop1": stage("hop1", source, middle).start(),
        "hop2": stage("hop2", middle, sink).start(),
    }
    events = relay_events(EVENTS, payload_bytes=200)
    producer = threading.Thread(
        target=produce_events, args=(kafka_bootstrap, source, events), kwargs={"pace_per_s": 800}
    )
    producer.start()

    kills = {2_000: "hop1", 4_500: "hop2", 7_000: "hop1"}
    done: list[int] = []

    def crash_at_milestones(count: int) -> None:
        for milestone, name in kills.items():
            if count >= milestone and milestone not in done:
                done.append(milestone)
                stages[name].kill()
                stages[name].start()

    try:
        records = read_committed(
            kafka_bootstrap,
            sink,
            expected=EVENTS,
            timeout_s=240,
            settle_s=5,
            on_record=crash_at_milestones,
        )
    finally:
        producer.join(timeout=60)
        for process in stages.values():
            process.stop_quietly()

    assert done == list(kills), f"only crashed at {done}: the stream ended before the milestones"
    received = [RelayEvent.model_validate_json(value or b"") for _key, value, _h in records]
    counts = Counter(e.event_id for e in received)
    doubled = [event_id for event_id, n in counts.items() if n > 1]
    assert not doubled, f"{len(doubled)} events delivered more than once"
    assert set(counts) == {e.event_id for e in events}, "lost events"
    assert len(records) == EVENTS
    assert {e.hops for e in received} == {2}
    if dwell_ms:
        # The kills really did abort transactions whose records had reached the broker: a
        # read_uncommitted reader sees them, the read_committed reader above did not.
        raw = len(
            read_committed(
                kafka_bootstrap,
                middle,
                expected=10**9,
                timeout_s=8,
                settle_s=0,
                isolation="read_uncommitted",
            )
        )
        raw += len(
            read_committed(
                kafka_bootstrap,
                sink,
                expected=10**9,
                timeout_s=8,
                settle_s=0,
                isolation="read_uncommitted",
            )
        )
        assert raw > 2 * EVENTS, "no kill landed inside a transaction"
