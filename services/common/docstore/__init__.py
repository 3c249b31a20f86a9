"""The document store: content-addressed, size-capped, type-sniffed storage for uploads.

``build_store(DocumentStoreSettings())`` gives the configured backend: a local directory by
default, an S3 bucket when ``PRESCREEN_DOCSTORE_BACKEND=s3``.
"""

from __future__ import annotations

from services.common.docstore.errors import (
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentStoreError,
    DocumentStoreUnavailable,
    DocumentTooLarge,
    EmptyDocument,
    InvalidDocument,
    InvalidDocumentKey,
    NotSupported,
    TruncatedDocument,
    UnsupportedDocumentType,
)
from services.common.docstore.local import LocalDocumentStore
from services.common.docstore.ports import (
    DEFAULT_MAX_BYTES,
    MAX_PRESIGN_EXPIRY_S,
    DocumentStore,
    PresignedUpload,
    StoredDocument,
    document_key,
    parse_key,
)
from services.common.docstore.s3 import S3DocumentStore
from services.common.docstore.settings import DocumentStoreSettings, build_store
from services.common.docstore.sniff import FileKind, sniff

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_PRESIGN_EXPIRY_S",
    "DocumentIntegrityError",
    "DocumentNotFound",
    "DocumentStore",
    "DocumentStoreError",
    "DocumentStoreSettings",
    "DocumentStoreUnavailable",
    "DocumentTooLarge",
    "EmptyDocument",
    "FileKind",
    "InvalidDocument",
    "InvalidDocumentKey",
    "LocalDocumentStore",
    "NotSupported",
    "PresignedUpload",
    "S3DocumentStore",
    "StoredDocument",
    "TruncatedDocument",
    "UnsupportedDocumentType",
    "build_store",
    "document_key",
    "parse_key",
    "sniff",
]
