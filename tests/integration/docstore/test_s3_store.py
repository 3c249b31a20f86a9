"""The S3 document store against a real local S3 server."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import pytest
from mypy_boto3_s3 import S3Client

from services.common.docstore import (
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentStore,
    DocumentStoreSettings,
    DocumentStoreUnavailable,
    DocumentTooLarge,
    FileKind,
    InvalidDocumentKey,
    S3DocumentStore,
    UnsupportedDocumentType,
    build_store,
)
from services.common.infra.ports import LOOPBACK, free_port
from tests.unit.docstore import samples

pytestmark = pytest.mark.integration

OWNER = "bank-a"
APP = "app-20240611-0001"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _b64_sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _post(url: str, fields: dict[str, str], data: bytes, filename: str) -> httpx.Response:
    # The file must be the last form field; httpx puts files after data.
    return httpx.post(url, data=fields, files={"file": (filename, data)}, timeout=10.0)


def test_put_get_head_round_trip(s3_store: S3DocumentStore, s3_client: S3Client) -> None:
    data = samples.pdf()

    stored = s3_store.put(OWNER, APP, data, declared_name="w2.pdf")

    object_key = f"documents/applications/{APP}/{_sha(data)}.pdf"
    assert isinstance(s3_store, DocumentStore)
    assert stored.key == f"applications/{APP}/{_sha(data)}.pdf"
    assert stored.uri == f"s3://{s3_store.bucket}/{object_key}"
    assert stored.kind is FileKind.PDF
    assert s3_store.get(stored.uri) == data
    assert s3_store.get(stored.key) == data
    assert s3_store.exists(stored.uri)
    assert s3_store.verify(stored.uri) == stored

    head = s3_client.head_object(Bucket=s3_store.bucket, Key=object_key, ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"] == {"owner": OWNER, "sha256": _sha(data)}
    assert "w2.pdf" not in json.dumps(head, default=str)


def test_images_get_their_sniffed_content_type(
    s3_store: S3DocumentStore, s3_client: S3Client
) -> None:
    for data, content_type in (
        (samples.png(), "image/png"),
        (samples.jpeg(), "image/jpeg"),
        (samples.tiff(big_endian=True), "image/tiff"),
    ):
        stored = s3_store.put(OWNER, APP, data, declared_name="upload.pdf")
        head = s3_client.head_object(Bucket=s3_store.bucket, Key=s3_store.object_key(stored.key))
        assert head["ContentType"] == content_type
        assert s3_store.get(stored.uri) == data


def test_objects_are_encrypted_at_rest(s3_store: S3DocumentStore, s3_client: S3Client) -> None:
    stored = s3_store.put(OWNER, APP, samples.png())
    head = s3_client.head_object(Bucket=s3_store.bucket, Key=s3_store.object_key(stored.key))
    assert head["ServerSideEncryption"] == "AES256"


def test_kms_encryption_uses_the_configured_key(
    docstore_settings: DocumentStoreSettings, s3_endpoint: str, s3_client: S3Client
) -> None:
    kms = boto3.session.Session().client("kms", region_name="us-east-1", endpoint_url=s3_endpoint)
    key_id = kms.create_key(Description="documents")["KeyMetadata"]["KeyId"]
    settings = docstore_settings.model_copy(update={"sse": "aws:kms", "kms_key_id": key_id})
    store = build_store(settings)
    assert isinstance(store, S3DocumentStore)

    stored = store.put(OWNER, APP, samples.pdf())

    head = s3_client.head_object(Bucket=store.bucket, Key=store.object_key(stored.key))
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    assert store.get(stored.key) == samples.pdf()


def test_sha256_checksum_is_stored_and_checked(
    s3_store: S3DocumentStore, s3_client: S3Client
) -> None:
    data = samples.pdf()
    stored = s3_store.put(OWNER, APP, data)
    object_key = s3_store.object_key(stored.key)

    head = s3_client.head_object(Bucket=s3_store.bucket, Key=object_key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == _b64_sha(data)

    # Someone overwrites the object behind the store's back: the key no longer matches.
    s3_client.put_object(Bucket=s3_store.bucket, Key=object_key, Body=data + b"\n")
    with pytest.raises(DocumentIntegrityError):
        s3_store.get(stored.uri)

    # Putting the genuine bytes again repairs it.
    s3_store.put(OWNER, APP, data)
    assert s3_store.get(stored.uri) == data


def test_put_is_idempotent_without_rewriting(s3_store: S3DocumentStore) -> None:
    writes: list[str] = []
    s3_store.client.meta.events.register(
        "before-call.s3.PutObject", lambda **kwargs: writes.append("put")
    )
    data = samples.pdf()

    first = s3_store.put(OWNER, APP, data)
    second = s3_store.put(OWNER, APP, data)

    assert second == first
    assert writes == ["put"]


def test_missing_and_foreign(s3_store: S3DocumentStore) -> None:
    key = f"applications/{APP}/{'0' * 64}.pdf"
    assert not s3_store.exists(key)
    with pytest.raises(DocumentNotFound):
        s3_store.get(key)
    with pytest.raises(DocumentNotFound):
        s3_store.verify(key)
    with pytest.raises(InvalidDocumentKey):
        s3_store.get(f"s3://another-bucket/documents/{key}")


def test_size_cap_on_put(docstore_settings: DocumentStoreSettings, s3_client: S3Client) -> None:
    store = build_store(docstore_settings.model_copy(update={"max_bytes": 64}))
    with pytest.raises(DocumentTooLarge):
        store.put(OWNER, APP, samples.pdf())
    listed = s3_client.list_objects_v2(Bucket=_bucket_of(docstore_settings))
    assert listed.get("KeyCount", 0) == 0


def test_invalid_content_is_refused_before_any_call(s3_store: S3DocumentStore) -> None:
    calls: list[str] = []
    s3_store.client.meta.events.register("before-call.s3.*", lambda **kwargs: calls.append("x"))
    with pytest.raises(UnsupportedDocumentType):
        s3_store.put(OWNER, APP, b"plain text renamed to statement.pdf", declared_name="s.pdf")
    assert calls == []


def _bucket_of(settings: DocumentStoreSettings) -> str:
    assert settings.bucket is not None
    return settings.bucket


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return policy


def test_presigned_post_upload_and_read_back(s3_store: S3DocumentStore) -> None:
    data = samples.pdf("Bank statement")
    before = datetime.now(UTC)
    upload = s3_store.presigned_upload(
        OWNER, APP, sha256=_sha(data), content_type="application/pdf"
    )

    assert upload.url.startswith(f"http://{LOOPBACK}:")
    expiration = datetime.strptime(_policy(upload.fields)["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert expiration.replace(tzinfo=UTC) - before <= timedelta(minutes=15)
    assert ["content-length-range", 1, s3_store.max_bytes] in _policy(upload.fields)["conditions"]

    response = _post(upload.url, upload.fields, data, "statement.pdf")

    assert response.status_code == 204, response.text
    assert s3_store.exists(upload.uri)
    assert s3_store.get(upload.uri) == data
    verified = s3_store.verify(upload.uri)
    assert (verified.key, verified.sha256, verified.size) == (upload.key, _sha(data), len(data))


def test_oversize_presigned_upload_never_becomes_a_document(
    docstore_settings: DocumentStoreSettings,
) -> None:
    store = build_store(docstore_settings.model_copy(update={"max_bytes": 512}))
    data = samples.pdf("x" * 1024)
    assert len(data) > 512
    upload = store.presigned_upload(OWNER, APP, sha256=_sha(data), content_type="application/pdf")
    assert ["content-length-range", 1, 512] in _policy(upload.fields)["conditions"]

    response = _post(upload.url, upload.fields, data, "big.pdf")

    if response.status_code >= 400:
        # S3 evaluates the policy and refuses the body.
        assert "EntityTooLarge" in response.text
        assert not store.exists(upload.uri)
    else:
        # The local server stores POST bodies without evaluating the policy; the store's own
        # check after the upload still refuses it before anything reads the content.
        with pytest.raises(DocumentTooLarge):
            store.verify(upload.uri)
        store.delete(upload.uri)
        assert not store.exists(upload.uri)


def test_presigned_upload_of_other_bytes_fails_verification(s3_store: S3DocumentStore) -> None:
    declared = samples.pdf("what the client hashed")
    upload = s3_store.presigned_upload(
        OWNER, APP, sha256=_sha(declared), content_type="application/pdf"
    )
    assert _post(upload.url, upload.fields, samples.pdf("other"), "a.pdf").status_code == 204

    with pytest.raises(DocumentIntegrityError):
        s3_store.verify(upload.uri)


def test_presigned_upload_of_text_posing_as_pdf_fails_verification(
    s3_store: S3DocumentStore,
) -> None:
    text = b"not a pdf at all\n"
    upload = s3_store.presigned_upload(
        OWNER, APP, sha256=_sha(text), content_type="application/pdf"
    )
    assert _post(upload.url, upload.fields, text, "fake.pdf").status_code == 204

    with pytest.raises(UnsupportedDocumentType):
        s3_store.verify(upload.uri)


def test_unreachable_server_is_transient(bucket: str) -> None:
    settings = DocumentStoreSettings(
        backend="s3",
        bucket=bucket,
        region="us-east-1",
        endpoint_url=f"http://{LOOPBACK}:{free_port()}",
        addressing_style="path",
        connect_timeout_s=0.5,
        read_timeout_s=0.5,
        max_attempts=1,
    )
    store = build_store(settings)
    with pytest.raises(DocumentStoreUnavailable):
        store.put(OWNER, APP, samples.png())
