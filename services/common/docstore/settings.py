"""Which document store a service uses, read from ``PRESCREEN_DOCSTORE_*``.

Credentials for S3 are not settings here: boto3 finds them the usual way (environment, shared
config, instance or task role), so no secret is ever spelled in this service's configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import boto3
from botocore.config import Config
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.contracts.documents import MAX_DOCUMENT_BYTES
from services.common.docstore.local import DEFAULT_LOCAL_ROOT, LocalDocumentStore
from services.common.docstore.ports import (
    DEFAULT_MAX_BYTES,
    DEFAULT_PRESIGN_EXPIRY_S,
    MAX_PRESIGN_EXPIRY_S,
    DocumentStore,
)
from services.common.docstore.s3 import S3DocumentStore, SseMode, normalise_prefix
from services.common.settings import check_endpoint_url

_BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


class DocumentStoreSettings(BaseSettings):
    """Document store backend and its limits."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_DOCSTORE_", extra="ignore", frozen=True)

    backend: Literal["local", "s3"] = "local"
    local_root: Path = Field(
        default=DEFAULT_LOCAL_ROOT, description="Directory of the local backend."
    )
    bucket: str | None = Field(default=None, pattern=_BUCKET, description="S3 bucket.")
    prefix: str = Field(default="", max_length=256, description="Key prefix inside the bucket.")
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,32}$")
    endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint, e.g. a local S3 server for tests."
    )
    addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto", description="'path' suits most local S3 servers."
    )
    sse: SseMode = Field(default="AES256", description="Server-side encryption: AES256 or aws:kms.")
    kms_key_id: str | None = Field(
        default=None, min_length=1, max_length=2048, description="KMS key id/ARN for aws:kms."
    )
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1, le=MAX_DOCUMENT_BYTES)
    presign_expiry_s: int = Field(default=DEFAULT_PRESIGN_EXPIRY_S, ge=1, le=MAX_PRESIGN_EXPIRY_S)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)

    @field_validator("prefix")
    @classmethod
    def _normalise_prefix(cls, value: str) -> str:
        return normalise_prefix(value)

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value)

    @model_validator(mode="after")
    def _check_backend(self) -> DocumentStoreSettings:
        if self.backend == "s3" and not self.bucket:
            raise ValueError("backend 's3' needs PRESCREEN_DOCSTORE_BUCKET")
        if self.kms_key_id is not None and self.sse != "aws:kms":
            raise ValueError("kms_key_id needs sse='aws:kms'")
        return self

    def botocore_config(self) -> Config:
        """Timeouts, retries, SigV4 (required for SSE-KMS) and the addressing style."""
        return Config(
            signature_version="s3v4",
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            s3={"addressing_style": self.addressing_style},
        )


def build_store(settings: DocumentStoreSettings | None = None) -> DocumentStore:
    """The configured document store."""
    settings = settings or DocumentStoreSettings()
    if settings.backend == "local":
        return LocalDocumentStore(settings.local_root, max_bytes=settings.max_bytes)
    assert settings.bucket is not None  # checked by the model validator
    client = boto3.session.Session().client(
        "s3",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=settings.botocore_config(),
    )
    return S3DocumentStore(
        client,
        bucket=settings.bucket,
        prefix=settings.prefix,
        sse=settings.sse,
        kms_key_id=settings.kms_key_id,
        max_bytes=settings.max_bytes,
        presign_expiry_s=settings.presign_expiry_s,
    )
