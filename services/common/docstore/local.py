"""A document store in a local directory: the default for development, tests and single hosts.

Files are written to a temporary file in the target directory and renamed into place, so a reader
never sees half a document; they are created 0600 in directories created 0700. Keys are parsed
strictly and the resolved path must stay under the root, so no key or symlink reaches outside it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from services.common.docstore.errors import (
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentTooLarge,
    InvalidDocumentKey,
    NotSupported,
)
from services.common.docstore.ports import (
    DEFAULT_MAX_BYTES,
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
    verified_document,
)

URI_SCHEME = "local"
URI_PREFIX = f"{URI_SCHEME}://"
DEFAULT_LOCAL_ROOT = Path(".local") / "documents"
_FILE_MODE = 0o600
_DIR_MODE = 0o700


class LocalDocumentStore:
    """Documents under one directory, laid out by key."""

    def __init__(
        self, root: Path | str = DEFAULT_LOCAL_ROOT, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self._root = Path(root)
        self._max_bytes = max_bytes

    @property
    def root(self) -> Path:
        """The directory documents are kept under."""
        return self._root

    @property
    def max_bytes(self) -> int:
        """The largest document the store accepts."""
        return self._max_bytes

    def uri(self, key: str) -> str:
        """The URI events carry for ``key``; it names no host path, so any host can resolve it."""
        return URI_PREFIX + key

    def put(
        self, owner: str, application_id: str, data: bytes, *, declared_name: str | None = None
    ) -> StoredDocument:
        """Store ``data``; storing the same bytes again rewrites nothing."""
        validate_owner(owner)
        validate_application_id(application_id)
        validate_declared_name(declared_name)
        kind, digest = examine(data, self._max_bytes)
        key = document_key(application_id, digest, kind)
        parsed = parse_key(key)
        path = self._path(parsed)
        if not self._holds(path, parsed):
            self._write(path, data)
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
        """The stored bytes, checked against the SHA-256 in the key."""
        parsed = self._parse(uri_or_key)
        data = self._read(self._path(parsed))
        check_integrity(parsed, data)
        return data

    def exists(self, uri_or_key: str) -> bool:
        """Whether a document is stored under the key."""
        return self._path(self._parse(uri_or_key)).is_file()

    def verify(self, uri_or_key: str) -> StoredDocument:
        """Read the document back and check its size, hash and sniffed type against its key."""
        parsed = self._parse(uri_or_key)
        data = self._read(self._path(parsed))
        return verified_document(parsed, data, uri=self.uri(parsed.key), max_bytes=self._max_bytes)

    def delete(self, uri_or_key: str) -> None:
        """Remove the document; removing one that is not there is not an error."""
        with contextlib.suppress(FileNotFoundError):
            self._path(self._parse(uri_or_key)).unlink()

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
        """A directory has no upload endpoint of its own: always ``NotSupported``."""
        raise NotSupported("the local document store offers no pre-signed uploads")

    def _parse(self, uri_or_key: str) -> DocumentKey:
        key = uri_or_key
        if key.startswith(URI_PREFIX):
            key = key[len(URI_PREFIX) :]
        elif "://" in key:
            raise InvalidDocumentKey("URI does not name the local document store")
        return parse_key(key)

    def _path(self, parsed: DocumentKey) -> Path:
        root = self._root.resolve()
        path = (root / parsed.key).resolve()
        if not path.is_relative_to(root) or path == root:
            raise InvalidDocumentKey("key resolves outside the document store")
        return path

    def _read(self, path: Path) -> bytes:
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > self._max_bytes:
                    raise DocumentTooLarge(size, self._max_bytes)
                return handle.read()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise DocumentNotFound("no document is stored under the key") from exc

    def _holds(self, path: Path, parsed: DocumentKey) -> bool:
        """Whether ``path`` already holds the bytes its key names (if not, it is rewritten)."""
        try:
            data = self._read(path)
        except (DocumentNotFound, DocumentTooLarge):
            return False
        try:
            check_integrity(parsed, data)
        except DocumentIntegrityError:
            return False
        return True

    def _write(self, path: Path, data: bytes) -> None:
        root = self._root.resolve()
        root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _FILE_MODE)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some filesystems refuse to open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
