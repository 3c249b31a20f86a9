"""Acceptance: a poison event is dead-lettered with provenance, the rest flow, replay recovers."""

from __future__ import annotations

import base64
import dataclasses

import pytest
import redis
from pydantic import SecretStr

from services.common.contracts.dead_letter import DeadLetter
from services.common.contracts.registry import Topics
from services.common.runtime import StageRuntime
from services.common.runtime.relay import POISON, RelayEvent, RelayHandler, build_relay, relay_topic
from services.common.runtime.replay import (
    REPLAYED_FROM_HEADER,
    ReplayFilter,
    ReplayReport,
    replay_dead_letters,
)
from services.common.runtime.sealing import PayloadSealer, new_key
from services.common.runtime.settings import RuntimeSettings
from services.common.settings import KafkaSettings, RedisSettings
from tests.integration.runtime.support import (
    make_topics,
    produce,
    read_committed,
    relay_events,
)

pytestmark = pytest.mark.integration


def dead_letters_of(
    bootstrap: str, stage: str, expected: int
) -> list[tuple[DeadLetter, dict[str, bytes]]]:
    records = read_committed(bootstrap, Topics.DLQ.name, expected=10**9, timeout_s=6, settle_s=0)
    ours = [
        (DeadLetter.model_validate_json(value or b""), headers)
        for _key, value, headers in records
        if headers.get("dlq_stage") == stage.encode()
    ]
    assert len(ours) == expected, ours
    return ours


def test_poison_event_is_dead_lettered_while_neighbours_flow_then_replayed(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=1)
    make_topics(kafka_bootstrap, Topics.DLQ.name, partitions=3)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    client = redis.Redis.from_url(redis_url)
    settings = RuntimeSettings(instance_id="t0", batch_max_events=100)

    before, after = relay_events(20), relay_events(20)
    poison = relay_events(1)[0].model_copy(update={"payload": POISON})
    garbage = b'{"event_id": "broken", "sequence": '
    values = [(e.event_id, e.model_dump_json().encode()) for e in before]
    values += [(poison.event_id, poison.model_dump_json().encode()), ("broken", garbage)]
    values += [(e.event_id, e.model_dump_json().encode()) for e in after]
    produce(kafka_bootstrap, source, values)

    def relay(*, reject_poison: bool) -> StageRuntime:
        return build_relay(
            stage=unique_name,
            input_topic=source,
            output_topic=sink,
            kafka=kafka,
            redis_client=client,
            settings=settings,
            reject_poison=reject_poison,
        )

    def replay() -> ReplayReport:
        return replay_dead_letters(
            kafka=kafka,
            redis_client=client,
            dead_letter_topic=Topics.DLQ.name,
            key_prefix=RedisSettings().key_prefix,
            selection=ReplayFilter(stage=unique_name, kind="handler_error"),
        )

    stats = relay(reject_poison=True).run(max_events=len(values), timeout=60)
    assert stats.consumed == len(values)
    assert stats.dead_lettered == 2

    flowed = read_committed(kafka_bootstrap, sink, expected=40, timeout_s=30)
    assert {RelayEvent.model_validate_json(v or b"").event_id for _k, v, _h in flowed} == {
        e.event_id for e in before + after
    }

    letters = dead_letters_of(kafka_bootstrap, unique_name, expected=2)
    by_kind = {letter.failure.kind: (letter, headers) for letter, headers in letters}
    rejected, headers = by_kind["handler_error"]
    assert rejected.original.topic == source and rejected.original.offset == 20
    assert headers["dlq_original_topic"] == source.encode()
    assert headers["dlq_original_partition"] == b"0"
    assert headers["dlq_original_offset"] == b"20"
    assert headers["dlq_error_class"] == b"PermanentError"
    assert b"poison" in headers["dlq_error_message"]
    broken, broken_headers = by_kind["undecodable"]
    assert broken_headers["dlq_original_offset"] == b"21"
    assert base64.b64decode(broken.payload_b64) == garbage

    # The cause is fixed (a new release no longer refuses the payload): replay what it refused.
    report = replay()
    assert (report.matched, report.replayed) == (1, 1)
    again = replay()
    assert (again.replayed, again.already_replayed) == (0, 1), "replayed twice"

    assert relay(reject_poison=False).run(max_events=1, timeout=60).produced == 1
    final = read_committed(kafka_bootstrap, sink, expected=41, timeout_s=30)
    ids = [RelayEvent.model_validate_json(v or b"").event_id for _k, v, _h in final]
    assert len(ids) == 41 and poison.event_id in ids
    inputs = read_committed(kafka_bootstrap, source, expected=len(values) + 1, timeout_s=30)
    replayed = [h for _k, _v, h in inputs if REPLAYED_FROM_HEADER in h]
    assert len(replayed) == 1 and replayed[0][REPLAYED_FROM_HEADER].startswith(b"loan.dlq.v1:")


def test_sensitive_dead_letters_are_sealed_and_replay_with_the_key(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source, sink = f"{unique_name}.in", f"{unique_name}.out"
    make_topics(kafka_bootstrap, source, sink, partitions=1)
    make_topics(kafka_bootstrap, Topics.DLQ.name, partitions=3)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    client = redis.Redis.from_url(redis_url)
    key = new_key()
    sensitive_input = dataclasses.replace(relay_topic(source, writer="upstream"), sensitive=True)
    output = relay_topic(sink, writer=unique_name)

    poison = relay_events(1)[0].model_copy(update={"payload": POISON})
    raw = poison.model_dump_json().encode()
    produce(kafka_bootstrap, source, [(poison.event_id, raw)])

    def stage(reject: bool) -> StageRuntime:
        return StageRuntime(
            service=unique_name,
            inputs=[sensitive_input],
            handler=RelayHandler(output, reject_poison=reject),
            kafka=kafka,
            redis_client=client,
            settings=RuntimeSettings(instance_id="t0", dead_letter_seal_key=SecretStr(key)),
        )

    assert stage(reject=True).run(max_events=1, timeout=60).dead_lettered == 1
    [(letter, _headers)] = dead_letters_of(kafka_bootstrap, unique_name, expected=1)
    assert letter.payload_protection == "sealed"
    assert POISON.encode() not in base64.b64decode(letter.payload_b64)

    without_key = replay_dead_letters(
        kafka=kafka,
        redis_client=client,
        dead_letter_topic=Topics.DLQ.name,
        selection=ReplayFilter(stage=unique_name),
    )
    assert (without_key.replayed, without_key.not_replayable) == (0, 1)
    with_key = replay_dead_letters(
        kafka=kafka,
        redis_client=client,
        dead_letter_topic=Topics.DLQ.name,
        selection=ReplayFilter(stage=unique_name),
        sealer=PayloadSealer(key),
    )
    assert with_key.replayed == 1
    assert stage(reject=False).run(max_events=1, timeout=60).produced == 1
    [(_k, value, _h)] = read_committed(kafka_bootstrap, sink, expected=1, timeout_s=20)
    assert RelayEvent.model_validate_json(value or b"").event_id == poison.event_id
