"""No personal data in clear in any Kafka record or log line of a run through both doors.

Four applicants with distinctive personal values go in: through the HTTP API (one accepted,
followed and given a document; one refused) and through the Kafka intake (one accepted, one that
fails the schema, one that breaks a business rule). Logging is the service's JSON logging at DEBUG
without redaction, captured in memory: the code must not log personal data in the first place,
the redaction of ``configure_logging`` is only a safety net. Every record the run wrote (the
received topic, and the dead letters of this stage) and every log line is then searched for the
applicants' SSNs (plain and dashed), names, dates of birth, addresses, e-mail addresses and phones.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.contracts import WIRE_CONTEXT, SubmittedApplication, Topics
from services.common.logs import configure_logging
from services.common.runtime import RuntimeSettings
from services.common.runtime.sealing import new_key
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.ingest.settings import IngestSettings
from services.ingest.stage import build_stage
from tests.integration.ingest.applicant import Applicant
from tests.integration.ingest.conftest import api_key_headers
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

Record = tuple[bytes | None, bytes | None, dict[str, bytes]]


HTTP_ACCEPTED = Applicant(
    "Quillonette",
    "Vandermolenstraat",
    "371842956",
    "1997-08-19",
    "77 Larkspur Hollow",
    "+14155557319",
)
HTTP_REFUSED = Applicant(
    "Aurelisandra",
    "Wexcombefield",
    "284630517",
    "1997-11-07",
    "3 Brambleknoll Rise",
    "+14155552864",
)
KAFKA_ACCEPTED = Applicant(
    "Thorvaldine", "Pemberhollow", "519374862", "1997-04-23", "95 Quarrystone Way", "+14155556041"
)
KAFKA_MISTYPED = Applicant(
    "Isoldevyn", "Crankshawley", "462817395", "1997-12-29", "18 Gorsemoor Lane", "+14155558172"
)
KAFKA_REJECTED = Applicant(
    "Marisabeth", "Oxenbridgeley", "538261947", "1997-06-30", "41 Hazelbrook Row", "+14155553958"
)
APPLICANTS = (HTTP_ACCEPTED, HTTP_REFUSED, KAFKA_ACCEPTED, KAFKA_MISTYPED, KAFKA_REJECTED)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """The service's JSON logging at DEBUG, unredacted, written to memory; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("ingest", "DEBUG", redact_pii=False)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def _wire(payload: dict[str, Any]) -> bytes:
    return (
        SubmittedApplication.model_validate(payload).model_dump_json(context=WIRE_CONTEXT).encode()
    )


def _through_http(app: FastAPI) -> None:
    accepted = json.dumps(HTTP_ACCEPTED.payload()).encode()
    refused = json.dumps(HTTP_REFUSED.payload(financials__credit_score=9000)).encode()
    with TestClient(app) as http:
        created = http.post("/v1/applications", content=accepted, headers=api_key_headers("bank-a"))
        assert created.status_code == 202, created.text
        url = created.json()["status_url"]
        status = http.get(url, headers=api_key_headers("bank-a"))
        assert status.status_code == 200, status.text
        upload = http.post(
            f"{url}/documents",
            headers=api_key_headers("bank-a"),
            files={"files": ("statement.pdf", MINIMAL_PDF, "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
        rejected = http.post("/v1/applications", content=refused, headers=api_key_headers("bank-a"))
        assert rejected.status_code == 422, rejected.text
        answers = created.text + status.text + upload.text + rejected.text
    for applicant in APPLICANTS:
        for secret in applicant.secrets():
            assert secret.lower() not in answers.lower(), f"{secret!r} in an HTTP answer"


def _through_kafka(kafka_bootstrap: str, redis_url: str, stage: str, sink: str, dlq: str) -> None:
    source = dataclasses.replace(Topics.SUBMITTED, name=f"{stage}.submitted")
    make_topics(kafka_bootstrap, source.name, dlq, partitions=1)
    mistyped = json.loads(_wire(KAFKA_MISTYPED.payload()))
    mistyped["financials"]["credit_score"] = 900
    records = [
        (samples.submission().customer_id, _wire(KAFKA_ACCEPTED.payload())),
        (samples.submission().customer_id, json.dumps(mistyped).encode()),
        (
            samples.submission().customer_id,
            _wire(KAFKA_REJECTED.payload(employment__years_employed=20)),
        ),
    ]
    produce(kafka_bootstrap, source.name, records)
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
        runtime_settings=RuntimeSettings(instance_id="pii0", dead_letter_seal_key=new_key()),
        stage=stage,
        source=source,
        sink=dataclasses.replace(Topics.RECEIVED, name=sink),
        dead_letters=dataclasses.replace(Topics.DLQ, name=dlq),
    )
    stats = runtime.run(max_events=3, timeout=60)
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (3, 1, 2)


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [
        secret
        for applicant in APPLICANTS
        for secret in applicant.secrets()
        if secret.lower() in lowered
    ]


def _record_text(record: Record) -> str:
    key, value, headers = record
    parts = [key or b"", value or b""]
    parts += [name.encode() + b"=" + header for name, header in headers.items()]
    return b"\n".join(parts).decode("utf-8", errors="replace")


def test_no_personal_data_in_records_or_logs(
    app: FastAPI,
    topic: str,
    kafka_bootstrap: str,
    redis_url: str,
    unique_name: str,
    captured_logs: io.StringIO,
) -> None:
    dlq = f"{unique_name}.dlq"
    _through_http(app)
    _through_kafka(kafka_bootstrap, redis_url, unique_name, topic, dlq)

    received = read_committed(kafka_bootstrap, topic, expected=2, timeout_s=30)
    assert len(received) == 2
    letters = read_committed(kafka_bootstrap, dlq, expected=2, timeout_s=30)
    ours = [record for record in letters if record[2].get("dlq_stage") == unique_name.encode()]
    assert len(ours) == 2
    for record in [*received, *ours]:
        assert _leaks(_record_text(record)) == [], _record_text(record)[:500]

    lines = captured_logs.getvalue().splitlines()
    assert lines, "nothing was logged, so the check below would prove nothing"
    messages = [json.loads(line)["message"] for line in lines]
    assert "application received" in messages
    assert "submission rejected" in messages
    for line in lines:
        assert _leaks(line) == [], line
