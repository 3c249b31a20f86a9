"""Document uploads through the ingest API into S3 (a real local S3 server)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient

from services.common.contracts.registry import Topics
from services.common.docstore.settings import DocumentStoreSettings
from services.common.http.auth_settings import api_key_hash
from services.common.settings import KafkaSettings, RedisSettings
from services.ingest.app import IngestHttpSettings, build_app
from services.ingest.settings import IngestSettings
from tests.integration.runtime.support import make_topics
from tests.unit.contracts import samples

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration

API_KEY = "s3-client-key-" + "q" * 24
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_upload_lands_encrypted_in_the_applications_prefix(
    kafka_bootstrap: str,
    redis_url: str,
    s3_endpoint: str,
    s3_client: S3Client,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "PRESCREEN_INGEST_API_KEYS",
        json.dumps(
            {
                "bank-s3": {
                    "sha256": api_key_hash(API_KEY),
                    "scopes": ["applications:write", "documents:write"],
                }
            }
        ),
    )
    app = build_app(
        ingest=IngestSettings(
            ssn_token_key="s" * 40,
            pii_keys={"p1": base64.b64encode(b"q" * 32).decode()},
            pii_active_key_id="p1",
        ),
        http=IngestHttpSettings(),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_settings=RedisSettings(url=redis_url, key_prefix=f"t{uuid.uuid4().hex[:8]}"),
        documents=DocumentStoreSettings(
            backend="s3",
            bucket=bucket,
            prefix="documents",
            region="us-east-1",
            endpoint_url=s3_endpoint,
            addressing_style="path",
            max_attempts=1,
        ),
    )
    make_topics(kafka_bootstrap, Topics.RECEIVED.name, Topics.DOCUMENTS_UPLOADED.name)
    headers = {"X-API-Key": API_KEY}
    with TestClient(app) as http:
        created = http.post(
            "/v1/applications",
            content=json.dumps(samples.submission_payload()).encode(),
            headers=headers,
        )
        assert created.status_code == 202, created.text
        application_id = created.json()["application_id"]
        upload = http.post(
            f"/v1/applications/{application_id}/documents",
            headers=headers,
            files={"files": ("scan.jpg", PNG, "image/jpeg")},  # the name and type lie
        )
        link = http.post(
            f"/v1/applications/{application_id}/documents/upload-url",
            headers=headers,
            json={
                "sha256": hashlib.sha256(PDF).hexdigest(),
                "content_type": "application/pdf",
                "size": len(PDF),
            },
        )
    assert upload.status_code == 201, upload.text
    [document] = upload.json()
    assert document["content_type"] == "image/png"
    key = f"documents/{document['document_key']}"
    assert key.startswith(f"documents/applications/{application_id}/")
    stored = s3_client.head_object(Bucket=bucket, Key=key)
    assert stored["ServerSideEncryption"] == "AES256"
    assert s3_client.get_object(Bucket=bucket, Key=key)["Body"].read() == PNG

    # A pre-signed link lets the applicant's browser upload straight to the bucket.
    assert link.status_code == 201, link.text
    form = link.json()
    direct = httpx.post(form["url"], data=form["fields"], files={"file": ("w2.pdf", PDF)})
    assert direct.status_code in (200, 201, 204), direct.text
    direct_key = form["fields"]["key"]
    assert s3_client.get_object(Bucket=bucket, Key=direct_key)["Body"].read() == PDF
