"""The ingest HTTP API against a real Kafka broker and Redis."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.contracts import WIRE_CONTEXT
from services.common.contracts.case import ApplicationReceived
from services.common.contracts.documents import DocumentKind, DocumentsUploaded
from services.common.contracts.registry import Topics
from tests.integration.ingest.conftest import api_key_headers as headers
from tests.integration.ingest.conftest import uploads_topic_of
from tests.integration.runtime.support import read_committed
from tests.unit.contracts import samples
from tests.unit.ingest.support import SECRETS

pytestmark = pytest.mark.integration

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def body(**changes: Any) -> bytes:
    payload = samples.submission_payload()
    payload.update(changes)
    return json.dumps(payload).encode()


def test_accepted_once_with_cloudevents_and_no_personal_data_on_the_log(
    app: FastAPI, kafka_bootstrap: str, topic: str
) -> None:
    with TestClient(app) as http:
        response = http.post("/v1/applications", content=body(), headers=headers("bank-a"))
        assert response.status_code == 202, response.text
        application_id = response.json()["application_id"]
        assert response.headers["Location"] == f"/v1/applications/{application_id}"
        status = http.get(f"/v1/applications/{application_id}", headers=headers("bank-a"))
        assert status.status_code == 200 and status.json()["status"] == "received"
    [(key, value, record_headers)] = read_committed(
        kafka_bootstrap, topic, expected=1, timeout_s=20
    )
    assert key == application_id.encode()
    assert record_headers["ce_subject"] == application_id.encode()
    assert record_headers["ce_type"] == Topics.RECEIVED.ce_type.encode()
    event = ApplicationReceived.model_validate_json(value or b"")
    assert str(event.application_id) == application_id
    everything = (key or b"") + (value or b"") + b"".join(record_headers.values())
    for secret in SECRETS:
        assert secret.encode() not in everything, "personal data in clear on the log"


def test_retry_with_the_same_key_replays_and_a_changed_body_conflicts(
    app: FastAPI, kafka_bootstrap: str, topic: str
) -> None:
    with TestClient(app) as http:
        first = http.post(
            "/v1/applications",
            content=body(),
            headers=headers("bank-a", **{"Idempotency-Key": "order-1"}),
        )
        again = http.post(
            "/v1/applications",
            content=body(),
            headers=headers("bank-a", **{"Idempotency-Key": "order-1"}),
        )
        other = http.post(
            "/v1/applications",
            content=body(channel="branch"),
            headers=headers("bank-a", **{"Idempotency-Key": "order-1"}),
        )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert other.status_code == 409
    assert len(read_committed(kafka_bootstrap, topic, expected=1, timeout_s=15, settle_s=3)) == 1


def test_another_client_cannot_see_or_attach_to_an_application(app: FastAPI) -> None:
    with TestClient(app) as http:
        created = http.post("/v1/applications", content=body(), headers=headers("bank-a"))
        url = f"/v1/applications/{created.json()['application_id']}"
        assert http.get(url, headers=headers("bank-b")).status_code == 404
        upload = http.post(
            f"{url}/documents",
            headers=headers("bank-b"),
            files={"files": ("w2.pdf", MINIMAL_PDF, "application/pdf")},
        )
        assert upload.status_code == 404
        missing = http.get(f"/v1/applications/{uuid.uuid4()}", headers=headers("bank-a"))
        assert missing.status_code == 404
        assert http.get(url).status_code == 401


def test_invalid_submissions_name_field_paths_and_never_echo_values(app: FastAPI) -> None:
    payload = samples.submission_payload()
    payload["employment"]["years_employed"] = 60
    payload["financials"]["credit_score"] = 9000
    with TestClient(app) as http:
        response = http.post(
            "/v1/applications", content=json.dumps(payload).encode(), headers=headers("bank-a")
        )
        too_big = http.post(
            "/v1/applications", content=b"{" + b" " * 300_000 + b"}", headers=headers("bank-a")
        )
    assert response.status_code == 422
    paths = {error["path"] for error in response.json()["errors"]}
    assert "financials.credit_score" in paths
    for secret in SECRETS:
        assert secret not in response.text
    assert too_big.status_code == 413


def test_rate_limit_answers_429_with_retry_after(app: FastAPI) -> None:
    with TestClient(app) as http:
        codes = [
            http.get(f"/v1/applications/{uuid.uuid4()}", headers=headers("slow")).status_code
            for _ in range(4)
        ]
        limited = http.get(f"/v1/applications/{uuid.uuid4()}", headers=headers("slow"))
    assert codes[:2] == [404, 404] and 429 in codes[2:]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_uploads_are_sniffed_capped_and_announced(
    app: FastAPI, kafka_bootstrap: str, topic: str
) -> None:
    with TestClient(app) as http:
        created = http.post("/v1/applications", content=body(), headers=headers("bank-a"))
        url = f"/v1/applications/{created.json()['application_id']}/documents"
        good = http.post(
            url,
            headers=headers("bank-a"),
            files={"files": ("w2.pdf", MINIMAL_PDF, "application/pdf")},
        )
        disguised = http.post(
            url,
            headers=headers("bank-a"),
            files={"files": ("w2.pdf", b"just text", "application/pdf")},
        )
        huge = http.post(
            url,
            headers=headers("bank-a"),
            files={
                "files": ("big.pdf", b"%PDF-1.4" + b"0" * (21 * 1024 * 1024), "application/pdf")
            },
        )
    assert good.status_code == 201, good.text
    [document] = good.json()
    assert document["content_type"] == "application/pdf" and document["size"] == len(MINIMAL_PDF)
    # The documents stage hears of the upload (references only), once: refused files are not
    # announced.
    [(key, value, _)] = read_committed(
        kafka_bootstrap, uploads_topic_of(topic), expected=1, timeout_s=15, settle_s=2
    )
    announced = DocumentsUploaded.model_validate_json(value or b"")
    assert key == created.json()["application_id"].encode()
    [reference] = announced.documents
    assert reference.sha256 == document["sha256"] and reference.kind is DocumentKind.PACKET
    assert reference.storage_uri.endswith(document["document_key"])
    assert disguised.status_code == 415
    assert huge.status_code == 413


def test_the_wire_form_of_a_submission_is_what_the_api_takes() -> None:
    # The sample payload carries the raw SSN as upstream sends it; the model's wire dump agrees.
    submission = samples.submission()
    assert samples.RAW_SSN in submission.model_dump_json(context=WIRE_CONTEXT)
