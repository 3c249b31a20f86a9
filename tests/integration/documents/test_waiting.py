"""Waiting for documents on a real broker and Redis: an application without its W-2 waits, the
upload that brings it resumes the application once, at the next revision."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from services.common.contracts import DocumentsUploaded, DocumentsVerified, Topics
from services.common.docstore import DocumentStoreSettings, LocalDocumentStore
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings
from services.documents.app import build_handler, build_waiting_room
from services.documents.fields import PageKind
from services.documents.parking import RedisParking
from services.documents.pool import ExtractionPool
from services.documents.ports import ResumeClaim
from services.documents.settings import DocumentsSettings
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.contracts import samples
from tests.unit.documents.stage_support import applicant, received, upload

pytestmark = pytest.mark.integration


def test_parking_keeps_cases_and_uploads_and_lets_one_record_resume(
    redis_client: redis.Redis, unique_name: str
) -> None:
    parking = RedisParking(redis_client, prefix=unique_name, ttl_s=600)
    case = samples.received()
    key = str(case.application_id)
    parking.park([case])
    found = parking.parked([key, "someone-else"])
    assert list(found) == [key] and found[key].model_dump() == case.model_dump()
    upload = samples.documents_uploaded()
    parking.record_uploads([upload, upload])
    assert parking.uploads([key]) == {key: list(upload.documents)}
    first = ResumeClaim(key, 0, "uploads:0:7")
    other = ResumeClaim(key, 0, "uploads:0:8")
    assert parking.claim_resumes([first]) == [True]
    assert parking.claim_resumes([first, other]) == [True, False]  # a replay, and a latecomer
    assert parking.claim_resumes([ResumeClaim(key, 1, "uploads:0:8")]) == [True]
    ttl = redis_client.ttl(f"{unique_name}:documents:parked:{key}")
    assert isinstance(ttl, int) and 0 < ttl <= 600


def test_an_application_waits_for_its_w2_and_resumes_when_it_is_uploaded(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    source = dataclasses.replace(Topics.RECEIVED, name=f"{unique_name}.in")
    uploads = dataclasses.replace(Topics.DOCUMENTS_UPLOADED, name=f"{unique_name}.uploads")
    sink = dataclasses.replace(Topics.DOCUMENTS_VERIFIED, name=f"{unique_name}.out")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq")
    make_topics(kafka_bootstrap, source.name, uploads.name, sink.name, dlq.name, partitions=2)
    store = LocalDocumentStore(tmp_path / "store")
    person = applicant(60, product="Car")
    case = received(person, upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,)))
    w2 = upload(store, person, tmp_path / "later", (PageKind.W2,))

    settings = DocumentsSettings(pii_keys=samples.PII_KEYS_B64, workers=0, stage_version="test")
    redis_settings = RedisSettings(url=redis_url, key_prefix=unique_name)
    client = redis.Redis.from_url(redis_url)

    def run_stage(events: int) -> None:
        runtime = StageRuntime(
            service="documents",
            stage=unique_name,
            inputs=[source, uploads],
            handler=build_handler(
                settings,
                ExtractionPool(0, max_pages=40, file_timeout_s=60),
                store_settings=DocumentStoreSettings(local_root=tmp_path / "store"),
                waiting=build_waiting_room(settings, client, redis_settings),
                output=sink,
            ),
            kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
            redis_client=client,
            redis_settings=redis_settings,
            settings=RuntimeSettings(instance_id="t0"),
            dead_letters=dlq,
        )
        stats = runtime.run(max_events=events, timeout=60)
        assert stats.dead_lettered == 0

    def announce() -> tuple[str, bytes]:
        event = DocumentsUploaded(
            application_id=case.application_id,
            upload_id=uuid.uuid4().hex,
            uploaded_at=datetime.now(UTC),
            documents=w2,
        )
        return str(case.application_id), event.model_dump_json().encode()

    produce(
        kafka_bootstrap, source.name, [(str(case.application_id), case.model_dump_json().encode())]
    )
    run_stage(1)
    # The applicant uploads the W-2; the client retries, so the upload is announced twice.
    produce(kafka_bootstrap, uploads.name, [announce(), announce()])
    run_stage(2)

    records = read_committed(kafka_bootstrap, sink.name, expected=2, timeout_s=30, settle_s=3)
    events = [DocumentsVerified.model_validate_json(value or b"") for _, value, _ in records]
    assert [(e.revision, e.documents.status) for e in events] == [
        (0, "awaiting_documents"),
        (1, "pass"),
    ]
    assert events[0].documents.missing_documents == ("w2",)
    assert events[1].documents.verified_annual_income is not None
    assert events[1].early_outcome is None
