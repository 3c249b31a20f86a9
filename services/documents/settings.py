"""Settings of the documents stage, read from ``PRESCREEN_DOCUMENTS_*``.

Where documents are stored is ``PRESCREEN_DOCSTORE_*`` and how Textract is reached is
``PRESCREEN_TEXTRACT_*``, shared with the services that upload and evaluate documents.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.fieldcrypto import FieldCipher
from services.common.settings import PiiKeyRing, ServiceSettings


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRESCREEN_DOCUMENTS_", extra="ignore", frozen=True
    )

    # The chain order is configuration: a bank may screen for fraud before this costly step.
    input_topic: str = Topics.RECEIVED.name
    extractor: Literal["local", "textract"] = Field(
        default="local",
        description="local: pdfplumber and Tesseract on this machine; textract: Amazon Textract.",
    )
    workers: int = Field(
        default_factory=_default_workers,
        ge=0,
        le=64,
        description="OCR worker processes; 0 reads in the stage process (tests, tiny pods).",
    )
    batch_max_applications: int = Field(
        default=16,
        ge=1,
        le=500,
        description=(
            "Applications per batch, instead of PRESCREEN_RUNTIME_BATCH_MAX_EVENTS: OCR "
            "costs seconds a page, and a batch must end well inside the consumer's poll "
            "interval (5 minutes) and the liveness window."
        ),
    )
    file_timeout_s: float = Field(
        default=120.0, gt=0, le=3600, description="Longest one file may take before it is refused."
    )
    max_pages_per_file: int = Field(default=40, ge=1, le=1000)
    income_tolerance: float = Field(
        default=0.15, ge=0, le=5, description="Stated income above documented income tolerated."
    )
    min_field_confidence: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Below this, a field the decision rests on is referred.",
    )
    min_page_confidence: float = Field(
        default=0.5, gt=0, le=1, description="Below this a page's kind is not trusted (other)."
    )
    when_nothing_uploaded: Literal["await_documents", "continue"] = Field(
        default="await_documents",
        description=(
            "An application with no documents at all: ask for them (await_documents), or "
            "pre-screen it on what was stated and list what is missing (continue)."
        ),
    )
    await_documents_days: float = Field(
        default=30,
        gt=0,
        le=365,
        description="How long an application waiting for documents, and its uploads, are kept.",
    )
    requirements_file: Path | None = Field(
        default=None,
        description="JSON {product: [income|identity|banking|address, ...]}; built-in if unset.",
    )
    pii_keys: PiiKeyRing
    pii_active_key_id: str | None = Field(
        default=None,
        description="Key that seals Textract results kept for replays; needed with textract.",
    )
    textract_lease_s: float = Field(
        default=330.0, gt=0, le=3600, description="Claim on one Textract call; above its timeout."
    )
    stage_version: str = "0.1.0"

    @model_validator(mode="after")
    def _textract_can_seal(self) -> DocumentsSettings:
        if self.extractor == "textract":
            if self.pii_active_key_id is None:
                raise ValueError("extractor 'textract' needs PRESCREEN_DOCUMENTS_PII_ACTIVE_KEY_ID")
            if self.pii_active_key_id not in self.pii_keys:
                raise ValueError("PRESCREEN_DOCUMENTS_PII_ACTIVE_KEY_ID is not among PII_KEYS")
        return self

    def cipher(self) -> FieldCipher:
        """Opens the applicant's sealed details; seals stored Textract results when configured."""
        return FieldCipher.from_base64(self.pii_keys, self.pii_active_key_id)
