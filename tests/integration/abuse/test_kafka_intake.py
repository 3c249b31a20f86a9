"""Garbage on the submitted topic: dead letters with their reasons, and the intake lives on.

Every hostile record of the corpus is produced, then a valid submission keyed as usual and one
without a key; the intake stage (``services.ingest.stage``) runs once over all of them. Each
hostile record must become exactly one dead letter with its kind and reason, its payload sealed
(the topic is sensitive: the raw SSN never lies in a dead letter in clear) and openable for
replay; the valid submissions after the garbage must be received; and nothing on any topic the
run used, nor any log line, may hold the applicants' personal data in clear.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from confluent_kafka import Producer

from services.common.contracts import ApplicationReceived, DeadLetter, Topics
from services.common.runtime import RunStats, RuntimeSettings
from services.common.runtime.sealing import PayloadSealer, new_key
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.common.testing.names import unique_resource_name
from services.ingest.settings import IngestSettings
from services.ingest.stage import build_stage
from tests.integration.abuse.corpus import (
    KAFKA_APPLICANT,
    KAFKA_CASES,
    KAFKA_KEY,
    KafkaCase,
    leaks,
    wire,
)
from tests.integration.abuse.support import LogTap, Record, assert_clean_log, record_text
from tests.integration.runtime.support import make_topics, read_committed
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class IntakeRun:
    stage: str
    source: str
    sink: str
    dlq: str
    seal_key: str
    sent: dict[int, bytes | None]
    """Offset → value of each record produced, in order."""
    letters: dict[int, DeadLetter]
    """Offset of the failed record → its dead letter."""
    dead_records: list[Record]
    received: list[Record]
    source_records: list[Record]
    valid_offsets: tuple[int, int]
    log_lines: list[str]
    stats: RunStats


def _produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes | None]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for key, value in records:
        producer.produce(topic, value, key)
    assert producer.flush(30) == 0


@pytest.fixture(scope="module")
def intake_run(kafka_bootstrap: str, redis_url: str, abuse_logs: LogTap) -> Iterator[IntakeRun]:
    stage = unique_resource_name("abuse", "intake")
    source = dataclasses.replace(Topics.SUBMITTED, name=f"{stage}.submitted")
    sink = dataclasses.replace(Topics.RECEIVED, name=f"{stage}.received")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{stage}.dlq")
    make_topics(kafka_bootstrap, source.name, sink.name, dlq.name, partitions=1)

    records: list[tuple[bytes | None, bytes | None]] = [
        (case.key, case.value()) for case in KAFKA_CASES
    ]
    valid_keyed = (KAFKA_KEY, wire(KAFKA_APPLICANT.payload()))
    valid_unkeyed = (None, wire(KAFKA_APPLICANT.payload()))
    records += [valid_keyed, valid_unkeyed]
    _produce(kafka_bootstrap, source.name, records)

    seal_key = new_key()
    redis_settings = RedisSettings(url=redis_url)
    runtime = build_stage(
        IngestSettings(
            ssn_token_key="t" * 40,
            pii_keys=samples.PII_KEYS_B64,
            pii_active_key_id=samples.PII_KEY_ID,
        ),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=redis_client(redis_settings),
        redis_settings=redis_settings,
        runtime_settings=RuntimeSettings(instance_id="abuse0", dead_letter_seal_key=seal_key),
        stage=stage,
        source=source,
        sink=sink,
        dead_letters=dlq,
    )
    mark = abuse_logs.mark()
    stats = runtime.run(max_events=len(records), timeout=90)

    dead = read_committed(
        kafka_bootstrap, dlq.name, expected=len(KAFKA_CASES), timeout_s=30, settle_s=0.5
    )
    letters = {}
    for _, value, _ in dead:
        letter = DeadLetter.model_validate_json(value or b"")
        assert letter.original.offset not in letters, "two dead letters for one record"
        letters[letter.original.offset] = letter
    yield IntakeRun(
        stage=stage,
        source=source.name,
        sink=sink.name,
        dlq=dlq.name,
        seal_key=seal_key,
        sent={offset: value for offset, (_, value) in enumerate(records)},
        letters=letters,
        dead_records=dead,
        received=read_committed(kafka_bootstrap, sink.name, expected=2, timeout_s=30),
        source_records=read_committed(
            kafka_bootstrap, source.name, expected=len(records), timeout_s=30, settle_s=0.5
        ),
        valid_offsets=(len(KAFKA_CASES), len(KAFKA_CASES) + 1),
        log_lines=abuse_logs.lines_since(mark),
        stats=stats,
    )


@pytest.mark.parametrize("case", KAFKA_CASES, ids=[case.id for case in KAFKA_CASES])
def test_each_hostile_record_is_dead_lettered_with_its_reason(
    intake_run: IntakeRun, case: KafkaCase
) -> None:
    offset = KAFKA_CASES.index(case)
    letter = intake_run.letters.get(offset)
    assert letter is not None, f"no dead letter for offset {offset}"
    assert letter.stage == intake_run.stage
    assert letter.original.topic == intake_run.source
    assert letter.original.key == (
        case.key.decode("utf-8", errors="replace") if case.key is not None else None
    )
    assert letter.failure.kind == case.kind
    reasons = [letter.failure.message, *letter.failure.errors]
    assert any(case.reason in reason for reason in reasons), reasons
    for reason in reasons:
        assert leaks(reason) == [], reason

    sent = intake_run.sent[offset] or b""  # a tombstone keeps an empty payload
    # The sensitive topic's value is sealed, never plain, and opens to the very bytes sent.
    assert letter.payload_protection == "sealed"
    assert KAFKA_APPLICANT.ssn not in letter.model_dump_json()
    coordinates = f"{intake_run.source}:{letter.original.partition}:{offset}"
    assert PayloadSealer(intake_run.seal_key).open(letter.payload_b64, coordinates) == sent


def test_the_intake_keeps_processing_after_the_garbage(intake_run: IntakeRun) -> None:
    stats = intake_run.stats
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (
        len(intake_run.sent),
        2,
        len(KAFKA_CASES),
    ), stats
    assert len(intake_run.received) == 2
    events = [
        ApplicationReceived.model_validate_json(value or b"") for _, value, _ in intake_run.received
    ]
    # Both valid submissions came through, each keyed by its application id (the unkeyed one
    # too: an upstream system may publish without a key).
    for (key, _, _), event in zip(intake_run.received, events, strict=True):
        assert key == str(event.application_id).encode()
    assert set(intake_run.letters) == set(range(len(KAFKA_CASES)))
    assert not set(intake_run.valid_offsets) & set(intake_run.letters)


def test_no_personal_data_in_clear_on_any_topic_or_log(intake_run: IntakeRun) -> None:
    # The source itself carries the raw values (that is what upstream sends): the check is
    # meaningful only if they are there to be found.
    assert any(KAFKA_APPLICANT.ssn in record_text(r) for r in intake_run.source_records)
    for record in [*intake_run.dead_records, *intake_run.received]:
        text = record_text(record)
        assert leaks(text) == [], text[:1000]
    messages = [line for line in intake_run.log_lines if '"submission rejected"' in line]
    assert messages, "the rejection was not logged, so the log scan proves little"
    assert_clean_log(intake_run.log_lines)
