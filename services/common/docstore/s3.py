"""A document store in an S3 bucket (AWS, or any S3-compatible server via ``endpoint_url``).

A thin adapter over boto3: every object is written with server-side encryption (SSE-S3 by
default, SSE-KMS with a configured key), an ``x-amz-checksum-sha256`` that S3 verifies on
arrival, and its sniffed ``Content-Type``. Reads ask S3 for the checksum and check the bytes
against the SHA-256 in the key as well. Pre-signed POST uploads carry a policy that pins the key,
content type, encryption and a ``content-length-range``, and expire within 15 minutes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, FlexibleChecksumError

from services.common.docstore.errors import (
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentStoreError,
    DocumentStoreUnavailable,
    DocumentTooLarge,
    InvalidDocumentKey,
)
from services.common.docstore.ports import (
    DEFAULT_MAX_BYTES,
    DEFAULT_PRESIGN_EXPIRY_S,
    MAX_PRESIGN_EXPIRY_S,
    DocumentKey,
    PresignedUpload,
    StoredDocument,
    check_integrity,
    document_key,
    examine,
    parse_key,
    validate_application_id,
    validate_declared_name,
    validate_owner,
    validate_sha256,
    verified_document,
)
from services.common.docstore.sniff import FileKind

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef, PutObjectRequestTypeDef

SseMode = Literal["AES256", "aws:kms"]
URI_SCHEME = "s3"
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_UNAVAILABLE = frozenset(
    {
        "AccessDenied",
        "NoSuchBucket",
        "RequestTimeout",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalError",
        "KMS.DisabledException",
        "KMS.KMSInvalidStateException",
        "KMS.ThrottlingException",
    }
)
_T = TypeVar("_T")


def normalise_prefix(prefix: str) -> str:
    """``""`` or ``"a/b/"``: no leading slash, one trailing slash, no empty or dot segments."""
    stripped = prefix.strip("/")
    if not stripped:
        return ""
    segments = stripped.split("/")
    if any(segment in {"", ".", ".."} for segment in segments):
        raise ValueError("prefix must not contain empty, '.' or '..' segments")
    return stripped + "/"


def checksum_sha256(hex_digest: str) -> str:
    """The base64 form S3 uses for ``x-amz-checksum-sha256``."""
    return base64.b64encode(binascii.unhexlify(hex_digest)).decode("ascii")


class S3DocumentStore:
    """Documents in one bucket, under an optional prefix."""

    def __init__(
        self,
        client: S3Client,
        *,
        bucket: str,
        prefix: str = "",
        sse: SseMode = "AES256",
        kms_key_id: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        presign_expiry_s: int = DEFAULT_PRESIGN_EXPIRY_S,
    ) -> None:
        if not bucket:
            raise ValueError("bucket is required")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        if kms_key_id is not None and sse != "aws:kms":
            raise ValueError("kms_key_id needs sse='aws:kms'")
        _check_expiry(presign_expiry_s)
        self._client = client
        self._bucket = bucket
        self._prefix = normalise_prefix(prefix)
        self._sse: SseMode = sse
        self._kms_key_id = kms_key_id
        self._max_bytes = max_bytes
        self._presign_expiry_s = presign_expiry_s

    @property
    def client(self) -> S3Client:
        """The boto3 client (for instrumentation such as event hooks)."""
        return self._client

    @property
    def bucket(self) -> str:
        """The bucket documents are kept in."""
        return self._bucket

    @property
    def prefix(self) -> str:
        """The key prefix inside the bucket (``""`` or ending in ``/``)."""
        return self._prefix

    @property
    def max_bytes(self) -> int:
        """The largest document the store accepts."""
        return self._max_bytes

    def object_key(self, key: str) -> str:
        """The S3 object key for a store key."""
        return self._prefix + key

    def uri(self, key: str) -> str:
        """``s3://bucket/prefix/key``."""
        return f"{URI_SCHEME}://{self._bucket}/{self.object_key(key)}"

    def put(
        self, owner: str, application_id: str, data: bytes, *, declared_name: str | None = None
    ) -> StoredDocument:
        """Store ``data``; an object already holding the same bytes is not written again."""
        validate_owner(owner)
        validate_application_id(application_id)
        validate_declared_name(declared_name)
        kind, digest = examine(data, self._max_bytes)
        key = document_key(application_id, digest, kind)
        object_key = self.object_key(key)
        checksum = checksum_sha256(digest)
        if not self._holds(object_key, checksum):
            self._write(object_key, data, kind=kind, checksum=checksum, owner=owner, digest=digest)
        return StoredDocument(
            uri=self.uri(key),
            key=key,
            sha256=digest,
            size=len(data),
            content_type=kind.content_type,
            kind=kind,
            declared_name=declared_name,
        )

    def get(self, uri_or_key: str) -> bytes:
        """The stored bytes, checked by S3's checksum and against the SHA-256 in the key."""
        parsed = self._parse(uri_or_key)
        data = self._read(self.object_key(parsed.key))
        check_integrity(parsed, data)
        return data

    def exists(self, uri_or_key: str) -> bool:
        """Whether an object is stored under the key."""
        return self._head(self.object_key(self._parse(uri_or_key).key)) is not None

    def verify(self, uri_or_key: str) -> StoredDocument:
        """Check a document (typically one uploaded with a pre-signed POST) before trusting it.

        The size is checked from the object's metadata before anything is downloaded; then the
        bytes are hashed against the key and sniffed against its extension.
        """
        parsed = self._parse(uri_or_key)
        object_key = self.object_key(parsed.key)
        head = self._head(object_key)
        if head is None:
            raise DocumentNotFound("no document is stored under the key")
        if head["ContentLength"] > self._max_bytes:
            raise DocumentTooLarge(head["ContentLength"], self._max_bytes)
        data = self._read(object_key)
        return verified_document(parsed, data, uri=self.uri(parsed.key), max_bytes=self._max_bytes)

    def delete(self, uri_or_key: str) -> None:
        """Remove the object; removing one that is not there is not an error."""
        object_key = self.object_key(self._parse(uri_or_key).key)
        _call(lambda: self._client.delete_object(Bucket=self._bucket, Key=object_key))

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
        """A POST upload of one document straight to the bucket.

        The key is fixed by the declared SHA-256 and content type, so the client must hash the
        file first; ``verify`` later proves the bytes match. With ``size`` the policy allows
        exactly that many bytes, otherwise ``1..max_bytes``.
        """
        validate_owner(owner)
        validate_application_id(application_id)
        validate_sha256(sha256)
        kind = FileKind.from_content_type(content_type)
        expires = self._presign_expiry_s if expires_in_s is None else expires_in_s
        _check_expiry(expires)
        if size is not None:
            if size < 1:
                raise ValueError("size must be at least 1")
            if size > self._max_bytes:
                raise DocumentTooLarge(size, self._max_bytes)
        low, high = (size, size) if size is not None else (1, self._max_bytes)
        key = document_key(application_id, sha256, kind)
        fields: dict[str, str] = {
            "Content-Type": kind.content_type,
            "x-amz-server-side-encryption": self._sse,
            "x-amz-meta-owner": owner,
            "x-amz-meta-sha256": sha256,
        }
        if self._kms_key_id is not None:
            fields["x-amz-server-side-encryption-aws-kms-key-id"] = self._kms_key_id
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", low, high])
        issued = datetime.now(UTC)
        post = _call(
            lambda: self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=self.object_key(key),
                Fields=fields,
                Conditions=conditions,
                ExpiresIn=expires,
            )
        )
        return PresignedUpload(
            url=str(post["url"]),
            fields={str(name): str(value) for name, value in post["fields"].items()},
            key=key,
            uri=self.uri(key),
            content_type=kind.content_type,
            max_bytes=high,
            expires_at=issued + timedelta(seconds=expires),
        )

    def _parse(self, uri_or_key: str) -> DocumentKey:
        scheme = f"{URI_SCHEME}://"
        if uri_or_key.startswith(scheme):
            bucket, _, object_key = uri_or_key[len(scheme) :].partition("/")
            if bucket != self._bucket:
                raise InvalidDocumentKey("URI names another bucket")
            if not object_key.startswith(self._prefix):
                raise InvalidDocumentKey("URI is outside the store's prefix")
            return parse_key(object_key[len(self._prefix) :])
        if "://" in uri_or_key:
            raise InvalidDocumentKey("URI does not name an S3 document store")
        return parse_key(uri_or_key)

    def _head(self, object_key: str) -> HeadObjectOutputTypeDef | None:
        try:
            return _call(
                lambda: self._client.head_object(
                    Bucket=self._bucket, Key=object_key, ChecksumMode="ENABLED"
                )
            )
        except DocumentNotFound:
            return None

    def _holds(self, object_key: str, checksum: str) -> bool:
        head = self._head(object_key)
        return (
            head is not None
            and head.get("ChecksumSHA256") == checksum
            and head.get("ServerSideEncryption") == self._sse
        )

    def _write(
        self,
        object_key: str,
        data: bytes,
        *,
        kind: FileKind,
        checksum: str,
        owner: str,
        digest: str,
    ) -> None:
        metadata = {"owner": owner, "sha256": digest}
        request: PutObjectRequestTypeDef = {
            "Bucket": self._bucket,
            "Key": object_key,
            "Body": data,
            "ContentLength": len(data),
            "ContentType": kind.content_type,
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": checksum,
            "ServerSideEncryption": self._sse,
            "Metadata": metadata,
        }
        if self._kms_key_id is not None:
            # Only KMS encryption names a key; S3 refuses the parameter for AES256.
            request["SSEKMSKeyId"] = self._kms_key_id
        _call(lambda: self._client.put_object(**request))

    def _read(self, object_key: str) -> bytes:
        response = _call(
            lambda: self._client.get_object(
                Bucket=self._bucket, Key=object_key, ChecksumMode="ENABLED"
            )
        )
        body = response["Body"]
        try:
            if response["ContentLength"] > self._max_bytes:
                raise DocumentTooLarge(response["ContentLength"], self._max_bytes)
            return _call(body.read)
        finally:
            body.close()


def _check_expiry(seconds: int) -> None:
    if not 1 <= seconds <= MAX_PRESIGN_EXPIRY_S:
        raise ValueError(f"pre-signed upload expiry must be 1..{MAX_PRESIGN_EXPIRY_S} seconds")


def _call(operation: Callable[[], _T]) -> _T:
    """Run one S3 call, translating botocore's errors into the store's."""
    try:
        return operation()
    except FlexibleChecksumError as exc:
        raise DocumentIntegrityError("S3 checksum of the object did not match") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _NOT_FOUND:
            raise DocumentNotFound("no document is stored under the key") from exc
        if code in _UNAVAILABLE or status >= 500:
            raise DocumentStoreUnavailable(f"S3 refused the call: {code or status}") from exc
        raise DocumentStoreError(f"S3 refused the call: {code or status}") from exc
    except BotoCoreError as exc:
        raise DocumentStoreUnavailable(f"S3 could not be reached: {type(exc).__name__}") from exc
