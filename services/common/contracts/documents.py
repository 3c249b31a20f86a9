"""References to documents the applicant uploaded. Events carry references, never file content."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.primitives import Sha256Hex, Timestamp

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


class DocumentKind(StrEnum):
    """What the applicant says a file is; the documents stage classifies each page itself."""

    W2 = "w2"
    PAY_STUB = "pay_stub"
    BANK_STATEMENT = "bank_statement"
    TAX_RETURN = "tax_return"
    PROFIT_AND_LOSS = "profit_and_loss"
    UTILITY_BILL = "utility_bill"
    IDENTITY_DOCUMENT = "identity_document"
    SELFIE = "selfie"
    PACKET = "packet"
    OTHER = "other"


DocumentContentType = Literal[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/heic",
]


class DocumentReference(EventModel):
    """Where an uploaded file lives and how to check it is the same file."""

    document_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of the upload, unique within the application.",
    )
    kind: DocumentKind = Field(
        description="Declared kind; 'packet' is one upload holding several documents."
    )
    storage_uri: str = Field(
        max_length=2048,
        pattern=r"^[a-z][a-z0-9+.-]*://\S+$",
        description="Object storage location, e.g. s3://bucket/customer/key. Not a pre-signed URL.",
    )
    sha256: Sha256Hex = Field(description="SHA-256 of the stored bytes.")
    content_type: DocumentContentType = Field(description="Media type of the stored file.")
    size_bytes: int = Field(ge=1, le=MAX_DOCUMENT_BYTES, description="Size of the stored file.")
    page_count: int | None = Field(default=None, ge=1, le=1000, description="Pages, if known.")
    uploaded_at: Timestamp | None = Field(default=None, description="When the upload finished.")


MAX_UPLOADED_PER_EVENT = 50


class DocumentsUploaded(EventModel):
    """Files an applicant uploaded for an application already submitted.

    The documents stage records them and, when the application is waiting for documents,
    resumes it with everything uploaded so far.
    """

    application_id: UUID = Field(description="The application the files belong to; the key.")
    upload_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Identifier of this upload request; uploading again gives a new one.",
    )
    uploaded_at: Timestamp
    documents: tuple[DocumentReference, ...] = Field(
        min_length=1, max_length=MAX_UPLOADED_PER_EVENT, description="The files stored."
    )

    @property
    def idempotency_qualifier(self) -> str:
        """Every upload is new work for the application, not a duplicate of its submission."""
        return f"upload:{self.upload_id}"
