"""Response bodies of the ingest API (requests use the event contracts directly)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.common.contracts.decision import LoanDecision
from services.common.status import Status, StatusEntry


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmissionAccepted(_Body):
    application_id: UUID
    status: Status = "received"
    status_url: str = Field(description="Where to follow the application (GET, long-poll).")


class ApplicationStatusView(_Body):
    application_id: str
    status: Status
    version: int = Field(description="Pass as after_version with wait=N to wait for a change.")
    updated_at: datetime
    timeline: tuple[StatusEntry, ...]
    decision: LoanDecision | None = None


class UploadedDocument(_Body):
    document_key: str = Field(description="Content-addressed key in the document store.")
    sha256: str
    size: int
    content_type: str


class UploadLinkRequest(_Body):
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the file, hex.")
    content_type: Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
    size: int = Field(ge=1, description="Exact size in bytes; the link accepts only that.")


class UploadLink(_Body):
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_bytes: int
