"""The stage's extractor when ``PRESCREEN_DOCUMENTS_EXTRACTOR=textract``.

Every Textract call goes through ``Once``: a batch replayed after a crash or a retry reads the
stored answer instead of paying for the call again. Starting a lending job and reading its
result are two separate ``Once`` calls, so a replay neither starts a second job nor loses the
one it started. The stored answers hold what the documents say (names, addresses), so they are
sealed with the applicant's field key before they reach Redis.

Which call a file gets: an identity document's image goes to AnalyzeID; another image or a
one-page PDF to AnalyzeDocument (forms and tables); a longer PDF kept in S3 to Analyze Lending,
which splits and classifies the pages itself. A longer PDF kept elsewhere cannot be sent to the
asynchronous API, so the local extractor reads it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from typing import Final

import pypdfium2

from services.common.contracts.documents import DocumentKind
from services.common.errors import PermanentError
from services.common.fieldcrypto import FieldCipher
from services.common.idempotency import OnceCall
from services.documents.ports import Extraction, Extractor, StoredFile
from services.documents.textract.client import TextractAdapter
from services.documents.textract.mapping import TextractResult

log = logging.getLogger(__name__)

SEALED_FIELD: Final = "documents.textract_result"


class TextractExtractor:
    """Textract through ``Once``, with the local extractor for what Textract cannot take."""

    def __init__(
        self, adapter: TextractAdapter, once: OnceCall, cipher: FieldCipher, local: Extractor
    ) -> None:
        self._adapter = adapter
        self._once = once
        self._cipher = cipher
        self._local = local

    @property
    def version(self) -> str:
        return "textract"

    def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
        results: dict[int, Extraction] = {}
        local: list[int] = []
        for index, stored in enumerate(files):
            try:
                call = self._plan(stored)
                if call is None:
                    local.append(index)
                    continue
                results[index] = Extraction(pages=call().pages)
            except PermanentError as exc:
                results[index] = Extraction(failure=str(exc))
        if local:
            read = self._local.extract([files[index] for index in local])
            results.update(zip(local, read, strict=True))
        return [results[index] for index in range(len(files))]

    def _plan(self, stored: StoredFile) -> Callable[[], TextractResult] | None:
        reference = stored.reference
        if reference.content_type != "application/pdf":
            if reference.kind is DocumentKind.IDENTITY_DOCUMENT:
                return lambda: self._sealed(stored, "analyze-id", self._analyze_id)
            return lambda: self._sealed(stored, "analyze-document", self._analyze_document)
        if _page_count(stored.data) == 1:
            return lambda: self._sealed(stored, "analyze-document", self._analyze_document)
        if reference.storage_uri.startswith("s3://"):
            return lambda: self._lending(stored)
        return None

    def _analyze_id(self, stored: StoredFile) -> TextractResult:
        return self._adapter.analyze_id(stored.data)

    def _analyze_document(self, stored: StoredFile) -> TextractResult:
        return self._adapter.analyze_document(stored.data)

    def _lending(self, stored: StoredFile) -> TextractResult:
        bucket, key = _s3_location(stored.reference.storage_uri)
        job_id = self._once(
            f"textract:lending-start:{stored.application_id}:{stored.reference.sha256}",
            lambda: self._adapter.start_lending_analysis(
                bucket, key, client_request_token=_request_token(stored)
            ),
        )
        return self._sealed(
            stored, f"lending:{job_id}", lambda s: self._adapter.get_lending_analysis(job_id)
        )

    def _sealed(
        self, stored: StoredFile, operation: str, call: Callable[[StoredFile], TextractResult]
    ) -> TextractResult:
        application_id = stored.application_id

        def run() -> str:
            result = call(stored)
            return self._cipher.seal_json(
                result.model_dump(mode="json"), application_id=application_id, field=SEALED_FIELD
            )

        sealed = self._once(f"textract:{operation}:{application_id}:{stored.reference.sha256}", run)
        return TextractResult.model_validate(
            self._cipher.open_json(sealed, application_id=application_id, field=SEALED_FIELD)
        )


def _request_token(stored: StoredFile) -> str:
    """Textract's idempotency token for starting this file's job: the same file of the same
    application always gets the same token (a repeated start returns the first job), and the
    same bytes uploaded for another application, which live under another S3 key, another."""
    return hashlib.sha256(f"{stored.application_id}:{stored.reference.sha256}".encode()).hexdigest()


def _page_count(data: bytes) -> int:
    try:
        document = pypdfium2.PdfDocument(io.BytesIO(data))
    except pypdfium2.PdfiumError as exc:
        raise PermanentError("PDF cannot be parsed") from exc
    try:
        return len(document)
    finally:
        document.close()


def _s3_location(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise PermanentError("storage URI names no S3 object")
    return bucket, key
