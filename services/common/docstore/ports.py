"""The document store port: what the ingest upload route and the documents stage rely on.

Documents are content-addressed. A document's key is
``applications/<application_id>/<sha256>.<ext>``: every file of one application lives in one
place, the same bytes uploaded twice land on the same key, and whoever reads a key can check the
bytes against the hash in its name. The extension comes from the sniffed content, never from the
name the applicant gave the file.

The caller decides who may touch an application (ingest checks that the client owns it); the
store records the owner next to the object where the backend allows it (S3 object metadata).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from services.common.contracts.documents import DocumentKind, DocumentReference
from services.common.docstore.errors import (
    DocumentIntegrityError,
    DocumentTooLarge,
    InvalidDocumentKey,
    UnsupportedDocumentType,
)
from services.common.docstore.sniff import FileKind, sniff

KEY_ROOT = "applications"

_APPLICATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@+=/-]{0,255}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(
    KEY_ROOT
    + r"/(?P<application_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,127})"
    + r"/(?P<sha256>[0-9a-f]{64})\.(?P<ext>[a-z]{3,4})"
)
MAX_DECLARED_NAME = 255

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
"""Default size cap: 20 MiB, well above a phone photo or a multi-page statement."""
DEFAULT_PRESIGN_EXPIRY_S = 300
MAX_PRESIGN_EXPIRY_S = 900
"""Pre-signed uploads never live longer than 15 minutes."""


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as stored: where it is and what it is.

    ``key`` is relative to the store (no bucket, no prefix, no directory); ``uri`` names the
    object for events (``s3://bucket/prefix/key`` or ``local://key``) and is accepted by ``get``.
    ``declared_name`` is the name the uploader gave, for the caller only: it decides nothing and is
    not persisted, because file names often carry people's names.
    """

    uri: str
    key: str
    sha256: str
    size: int
    content_type: str
    kind: FileKind
    declared_name: str | None = field(default=None, compare=False)

    def reference(
        self,
        *,
        document_id: str,
        kind: DocumentKind,
        page_count: int | None = None,
        uploaded_at: datetime | None = None,
    ) -> DocumentReference:
        """The event-contract reference to this document."""
        return DocumentReference.model_validate(
            {
                "document_id": document_id,
                "kind": kind,
                "storage_uri": self.uri,
                "sha256": self.sha256,
                "content_type": self.content_type,
                "size_bytes": self.size,
                "page_count": page_count,
                "uploaded_at": uploaded_at,
            }
        )


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """A browser-style upload straight to object storage, valid until ``expires_at``.

    POST ``fields`` (all of them, unchanged) plus the file as the last form field named ``file``
    to ``url``. The storage service refuses a body outside ``1..max_bytes`` bytes, another key or
    another content type. Call ``DocumentStore.verify`` once the client reports the upload done:
    it checks the bytes against the hash in the key and sniffs their type.
    """

    url: str
    fields: dict[str, str]
    key: str
    uri: str
    content_type: str
    max_bytes: int
    expires_at: datetime


@runtime_checkable
class DocumentStore(Protocol):
    """Where applicants' documents are kept."""

    @property
    def max_bytes(self) -> int:
        """The largest document the store accepts."""
        ...

    def put(
        self, owner: str, application_id: str, data: bytes, *, declared_name: str | None = None
    ) -> StoredDocument:
        """Store ``data`` after checking its size and sniffing its type; idempotent by content."""
        ...

    def get(self, uri_or_key: str) -> bytes:
        """The stored bytes, checked against the SHA-256 in the key."""
        ...

    def exists(self, uri_or_key: str) -> bool:
        """Whether a document is stored under the key."""
        ...

    def verify(self, uri_or_key: str) -> StoredDocument:
        """Read a stored document back and check it: size, hash against key, sniffed type."""
        ...

    def delete(self, uri_or_key: str) -> None:
        """Remove a document (one that failed ``verify``, or at the end of retention)."""
        ...

    def presigned_upload(
        self,
        owner: str,
        application_id: str,
        *,
        sha256: str,
        content_type: str,
        size: int | None = None,
        expires_in_s: int | None = None,
    ) -> PresignedUpload:
        """A short-lived direct upload; raises ``NotSupported`` where the backend has none."""
        ...


@dataclass(frozen=True, slots=True)
class DocumentKey:
    """The parts of a store key."""

    application_id: str
    sha256: str
    kind: FileKind

    @property
    def key(self) -> str:
        """The store-relative key."""
        return document_key(self.application_id, self.sha256, self.kind)


def validate_application_id(application_id: str) -> str:
    """``application_id`` if it is safe as one path segment, else raise ``InvalidDocumentKey``."""
    if not _APPLICATION_ID.fullmatch(application_id):
        raise InvalidDocumentKey(
            "application id must be 1-128 characters of letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return application_id


def validate_owner(owner: str) -> str:
    """``owner`` if it is a plain client identifier, else raise ``InvalidDocumentKey``."""
    if not _OWNER.fullmatch(owner):
        raise InvalidDocumentKey("owner must be a 1-256 character ASCII client identifier")
    return owner


def validate_sha256(sha256: str) -> str:
    """``sha256`` if it is 64 lower-case hex digits, else raise ``InvalidDocumentKey``."""
    if not _SHA256.fullmatch(sha256):
        raise InvalidDocumentKey("sha256 must be 64 lower-case hex digits")
    return sha256


def validate_declared_name(declared_name: str | None) -> str | None:
    """The declared name, bounded in length; it is never used to decide anything."""
    if declared_name is not None and len(declared_name) > MAX_DECLARED_NAME:
        raise InvalidDocumentKey(f"declared name is longer than {MAX_DECLARED_NAME} characters")
    return declared_name


def document_key(application_id: str, sha256: str, kind: FileKind) -> str:
    """``applications/<application_id>/<sha256>.<ext>``."""
    validate_application_id(application_id)
    validate_sha256(sha256)
    return f"{KEY_ROOT}/{application_id}/{sha256}.{kind.extension}"


def parse_key(key: str) -> DocumentKey:
    """Split a store-relative key; anything not laid out as the store writes it is refused."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise InvalidDocumentKey("not a document key: expected applications/<id>/<sha256>.<ext>")
    try:
        kind = FileKind.from_extension(match["ext"])
    except UnsupportedDocumentType as exc:
        raise InvalidDocumentKey("not a document key: unknown extension") from exc
    return DocumentKey(match["application_id"], match["sha256"], kind)


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def check_integrity(parsed: DocumentKey, data: bytes) -> str:
    """The SHA-256 of ``data`` if it matches the key, else raise ``DocumentIntegrityError``."""
    digest = sha256_hex(data)
    if digest != parsed.sha256:
        raise DocumentIntegrityError("stored bytes do not match the SHA-256 in their key")
    return digest


def examine(data: bytes, max_bytes: int) -> tuple[FileKind, str]:
    """Size-check, sniff and hash ``data``: its kind and SHA-256, or the reason it is refused."""
    if len(data) > max_bytes:
        raise DocumentTooLarge(len(data), max_bytes)
    kind = sniff(data)
    return kind, sha256_hex(data)


def verified_document(
    parsed: DocumentKey, data: bytes, *, uri: str, max_bytes: int
) -> StoredDocument:
    """What was read back under ``parsed``, once its size, hash and sniffed type match the key."""
    kind, digest = examine(data, max_bytes)
    if digest != parsed.sha256:
        raise DocumentIntegrityError("stored bytes do not match the SHA-256 in their key")
    if kind is not parsed.kind:
        raise DocumentIntegrityError("stored content type does not match the key's extension")
    return StoredDocument(
        uri=uri,
        key=parsed.key,
        sha256=digest,
        size=len(data),
        content_type=kind.content_type,
        kind=kind,
    )
