"""Document store settings and the factory."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from pydantic import ValidationError

from services.common.docstore import (
    DocumentStore,
    DocumentStoreSettings,
    LocalDocumentStore,
    S3DocumentStore,
    build_store,
)


def test_defaults_are_a_local_store() -> None:
    settings = DocumentStoreSettings()
    assert settings.backend == "local"
    assert settings.local_root == Path(".local/documents")
    assert settings.max_bytes == 20 * 1024 * 1024
    assert settings.presign_expiry_s == 300
    assert settings.sse == "AES256"


def test_build_local_store(tmp_path: Path) -> None:
    store = build_store(DocumentStoreSettings(local_root=tmp_path, max_bytes=1234))
    assert isinstance(store, LocalDocumentStore)
    assert store.root == tmp_path
    assert store.max_bytes == 1234


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_DOCSTORE_BACKEND", "s3")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_BUCKET", "prescreen-documents")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_PREFIX", "/tenant-a/docs/")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_REGION", "eu-west-1")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_ADDRESSING_STYLE", "path")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_SSE", "aws:kms")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_KMS_KEY_ID", "alias/prescreen-documents")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_MAX_BYTES", "1048576")
    monkeypatch.setenv("PRESCREEN_DOCSTORE_PRESIGN_EXPIRY_S", "120")

    settings = DocumentStoreSettings()
    store = build_store(settings)

    assert settings.prefix == "tenant-a/docs/"
    assert isinstance(store, S3DocumentStore)
    assert isinstance(store, DocumentStore)
    assert store.bucket == "prescreen-documents"
    assert store.max_bytes == 1048576
    assert store.uri("applications/a/x.pdf") == (
        "s3://prescreen-documents/tenant-a/docs/applications/a/x.pdf"
    )


@pytest.mark.parametrize(
    "values",
    [
        {"backend": "s3"},
        {"presign_expiry_s": 901},
        {"presign_expiry_s": 0},
        {"max_bytes": 0},
        {"max_bytes": 50 * 1024 * 1024 + 1},
        {"kms_key_id": "alias/x"},
        {"sse": "aws:kms:dsse"},
        {"backend": "gcs"},
        {"bucket": "Not_A_Bucket"},
        {"prefix": "a/../b"},
        {"endpoint_url": "ftp://127.0.0.1:21"},
        {"endpoint_url": "http://user:pw@127.0.0.1:9000"},
    ],
)
def test_invalid_settings_fail_fast(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DocumentStoreSettings.model_validate(values)


def test_s3_store_constructor_checks() -> None:
    client = boto3.session.Session().client("s3", region_name="us-east-1")
    with pytest.raises(ValueError):
        S3DocumentStore(client, bucket="docs", presign_expiry_s=901)
    with pytest.raises(ValueError):
        S3DocumentStore(client, bucket="docs", kms_key_id="alias/x")
    with pytest.raises(ValueError):
        S3DocumentStore(client, bucket="")
