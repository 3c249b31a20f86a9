"""Why the document store refused a file or a request.

Content problems (empty, wrong type, truncated, too large) are permanent: the same bytes will be
refused again, so an upload route answers 4xx and a stage dead-letters. An unreachable backend is
transient, so the runtime retries.
"""

from __future__ import annotations

from services.common.errors import PermanentError, TransientError


class DocumentStoreError(Exception):
    """Base of every error the document store raises."""


class InvalidDocument(DocumentStoreError, PermanentError):  # noqa: N818
    """The bytes are not a document the platform accepts."""


class EmptyDocument(InvalidDocument):
    """The upload held no bytes."""


class UnsupportedDocumentType(InvalidDocument):
    """The content is not a PDF, PNG, JPEG or TIFF (judged from its bytes, never its name)."""


class TruncatedDocument(InvalidDocument):
    """The content starts like a supported type but is obviously cut short."""


class DocumentTooLarge(InvalidDocument):
    """The content is larger than the store's configured maximum."""

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"document is {size} bytes; the maximum is {max_bytes}")
        self.size = size
        self.max_bytes = max_bytes


class DocumentIntegrityError(DocumentStoreError, PermanentError):
    """Stored bytes do not hash to the SHA-256 their key names."""


class InvalidDocumentKey(DocumentStoreError, PermanentError, ValueError):  # noqa: N818
    """A key, URI or identifier is malformed, escapes the store or names another store."""


class DocumentNotFound(DocumentStoreError, PermanentError):  # noqa: N818
    """No document is stored under the key."""


class NotSupported(DocumentStoreError):  # noqa: N818
    """The backend does not offer this optional capability (pre-signed uploads on a directory)."""


class DocumentStoreUnavailable(DocumentStoreError, TransientError):  # noqa: N818
    """The backend could not be reached or failed; the same call may succeed later."""
