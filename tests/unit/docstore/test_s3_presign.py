"""The pre-signed POST policy, checked without any server (signing is local)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from services.common.docstore import (
    DocumentTooLarge,
    InvalidDocumentKey,
    S3DocumentStore,
    UnsupportedDocumentType,
)
from tests.unit.docstore import samples

SHA = hashlib.sha256(samples.pdf()).hexdigest()


def _store(**options: Any) -> S3DocumentStore:
    client = boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return S3DocumentStore(client, bucket="docs", prefix="p", **options)


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return policy


def _condition(policy: dict[str, Any], name: str) -> Any:
    for condition in policy["conditions"]:
        if isinstance(condition, dict) and name in condition:
            return condition[name]
        if isinstance(condition, list) and condition[0] == name:
            return condition[1:]
    raise AssertionError(f"no {name} condition")


def test_policy_pins_key_type_encryption_and_size() -> None:
    store = _store(max_bytes=4096)
    before = datetime.now(UTC)

    upload = store.presigned_upload("bank-a", "app-1", sha256=SHA, content_type="application/pdf")
    policy = _policy(upload.fields)

    assert upload.key == f"applications/app-1/{SHA}.pdf"
    assert upload.uri == f"s3://docs/p/applications/app-1/{SHA}.pdf"
    assert upload.url == "http://127.0.0.1:9/docs"
    assert upload.fields["key"] == f"p/applications/app-1/{SHA}.pdf"
    assert _condition(policy, "key") == f"p/applications/app-1/{SHA}.pdf"
    assert _condition(policy, "bucket") == "docs"
    assert _condition(policy, "Content-Type") == "application/pdf"
    assert _condition(policy, "x-amz-server-side-encryption") == "AES256"
    assert _condition(policy, "x-amz-meta-owner") == "bank-a"
    assert _condition(policy, "content-length-range") == [1, 4096]
    assert upload.max_bytes == 4096

    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expiration - before <= timedelta(seconds=301)
    assert upload.expires_at - before <= timedelta(seconds=301)


def test_declared_size_makes_the_range_exact_and_kms_is_pinned() -> None:
    store = _store(sse="aws:kms", kms_key_id="alias/docs")
    upload = store.presigned_upload(
        "bank-a", "app-1", sha256=SHA, content_type="image/png", size=321, expires_in_s=60
    )
    policy = _policy(upload.fields)

    assert upload.key.endswith(".png")
    assert _condition(policy, "content-length-range") == [321, 321]
    assert _condition(policy, "x-amz-server-side-encryption") == "aws:kms"
    assert _condition(policy, "x-amz-server-side-encryption-aws-kms-key-id") == "alias/docs"


@pytest.mark.parametrize("expires_in_s", [0, 901, 3600])
def test_expiry_is_at_most_fifteen_minutes(expires_in_s: int) -> None:
    with pytest.raises(ValueError):
        _store().presigned_upload(
            "bank-a", "app-1", sha256=SHA, content_type="application/pdf", expires_in_s=expires_in_s
        )


def test_refusals() -> None:
    store = _store(max_bytes=100)
    with pytest.raises(DocumentTooLarge):
        store.presigned_upload("bank-a", "app-1", sha256=SHA, content_type="image/png", size=101)
    with pytest.raises(UnsupportedDocumentType):
        store.presigned_upload("bank-a", "app-1", sha256=SHA, content_type="text/plain")
    with pytest.raises(InvalidDocumentKey):
        store.presigned_upload("bank-a", "app-1", sha256="0" * 63, content_type="image/png")
    with pytest.raises(InvalidDocumentKey):
        store.presigned_upload("bank-a", "../x", sha256=SHA, content_type="image/png")


@pytest.mark.parametrize(
    "uri",
    [
        f"s3://other/p/applications/app-1/{SHA}.pdf",
        f"s3://docs/q/applications/app-1/{SHA}.pdf",
        f"local://applications/app-1/{SHA}.pdf",
        "s3://docs/p/../../etc/passwd",
    ],
)
def test_uris_of_other_stores_are_refused(uri: str) -> None:
    with pytest.raises(InvalidDocumentKey):
        _store().get(uri)
