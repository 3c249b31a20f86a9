"""Amazon Textract adapter: sends documents to Textract, maps answers to ``ExtractedPage``."""

from __future__ import annotations

from services.documents.textract.client import (
    LendingJobFailedError,
    LendingJobPendingError,
    TextractAdapter,
    TextractApi,
)
from services.documents.textract.mapping import TextractResult
from services.documents.textract.settings import TextractSettings

__all__ = [
    "LendingJobFailedError",
    "LendingJobPendingError",
    "TextractAdapter",
    "TextractApi",
    "TextractResult",
    "TextractSettings",
]
