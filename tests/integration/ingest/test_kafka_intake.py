"""The Kafka intake on a real broker and Redis: accepted, mistyped and inconsistent submissions."""

from __future__ import annotations

import dataclasses
import json
from uuid import UUID

import pytest

from services.common.contracts import (
    PERSONAL_SEALED_FIELD,
    WIRE_CONTEXT,
    ApplicationReceived,
    DeadLetter,
    PersonalDetails,
    Topics,
)
from services.common.runtime import RuntimeSettings
from services.common.runtime.sealing import PayloadSealer, new_key
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.ingest.settings import IngestSettings
from services.ingest.stage import build_stage
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.contracts import samples
from tests.unit.ingest.support import SECRETS, submission_with

pytestmark = pytest.mark.integration

INVALID_ID = UUID("00000000-0000-4000-8000-00000000000a")
INCONSISTENT_ID = UUID("00000000-0000-4000-8000-00000000000b")


def _settings() -> IngestSettings:
    return IngestSettings(
        ssn_token_key="t" * 40,
        pii_keys=samples.PII_KEYS_B64,
        pii_active_key_id=samples.PII_KEY_ID,
    )


def _submissions() -> list[tuple[str, bytes]]:
    customer = samples.submission().customer_id
    valid = samples.submission().model_dump_json(context=WIRE_CONTEXT).encode()
    mistyped = json.loads(valid)
    mistyped["application_id"] = str(INVALID_ID)
    mistyped["financials"]["credit_score"] = 900
    inconsistent = submission_with(
        application_id=str(INCONSISTENT_ID), employment__years_employed=20
    )
    return [
        (customer, valid),
        (customer, json.dumps(mistyped).encode()),
        (customer, inconsistent.model_dump_json(context=WIRE_CONTEXT).encode()),
    ]


def test_intake_forwards_valid_and_dead_letters_invalid_submissions(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source = dataclasses.replace(Topics.SUBMITTED, name=f"{unique_name}.submitted")
    sink = dataclasses.replace(Topics.RECEIVED, name=f"{unique_name}.received")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq")
    make_topics(kafka_bootstrap, source.name, sink.name, dlq.name, partitions=1)
    records = _submissions()
    assert all(samples.RAW_SSN.encode() in value for _, value in records)
    produce(kafka_bootstrap, source.name, records)

    seal_key = new_key()
    redis_settings = RedisSettings(url=redis_url)
    runtime = build_stage(
        _settings(),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=redis_client(redis_settings),
        redis_settings=redis_settings,
        runtime_settings=RuntimeSettings(instance_id="t0", dead_letter_seal_key=seal_key),
        stage=unique_name,
        source=source,
        sink=sink,
        dead_letters=dlq,
    )
    stats = runtime.run(max_events=3, timeout=60)
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (3, 1, 2)

    [(key, value, headers)] = read_committed(kafka_bootstrap, sink.name, expected=1, timeout_s=30)
    application_id = str(samples.APPLICATION_ID)
    assert key == application_id.encode()
    assert headers["ce_subject"] == application_id.encode()
    assert headers["ce_type"] == Topics.RECEIVED.ce_type.encode()
    assert headers["ce_source"] == f"/loan-prescreen/{unique_name}".encode()
    assert {"ce_id", "ce_time", "ce_specversion", "traceparent"} <= set(headers)
    everything = b"".join([key or b"", value or b"", *headers.values()])
    for secret in SECRETS:
        assert secret.encode() not in everything, secret

    event = ApplicationReceived.model_validate_json(value or b"")
    personal = samples.field_cipher().open_model(
        event.application.identity.personal_sealed,
        PersonalDetails,
        application_id=event.application_id,
        field=PERSONAL_SEALED_FIELD,
    )
    assert personal == samples.submission().identity.personal_details()

    dead = read_committed(kafka_bootstrap, dlq.name, expected=2, timeout_s=30)
    assert len(dead) == 2
    letters = {}
    for dead_key, dead_value, dead_headers in dead:
        raw = b"".join([dead_key or b"", dead_value or b"", *dead_headers.values()])
        assert samples.RAW_SSN.encode() not in raw
        letter = DeadLetter.model_validate_json(dead_value or b"")
        assert letter.payload_protection == "sealed"
        letters[letter.failure.kind] = letter

    assert set(letters) == {"invalid", "rejected"}
    invalid = letters["invalid"]
    assert any(line.startswith("financials.credit_score") for line in invalid.failure.errors)
    rejected = letters["rejected"]
    assert (
        "employment.years_employed: years_employed_exceeds_age_minus_14" in rejected.failure.message
    )
    # The sealed payload is the original record, for replay once the submitter's data is fixed.
    original = PayloadSealer(seal_key).open(
        rejected.payload_b64,
        f"{source.name}:{rejected.original.partition}:{rejected.original.offset}",
    )
    assert original == records[2][1]
