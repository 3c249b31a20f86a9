"""Documents per batch: read every uploaded file, extract them all at once, verify each case.

Pure logic with its ports injected, no Kafka. Per batch: each live case's files are read from
the store and checked against the hash recorded at upload; every file of the whole batch goes
to the extractor in one call (the local extractor spreads them over its worker processes and
returns them in order); then each case's pages are verified against what the applicant stated,
opened from the sealed personal details in memory only, and ``outcome.decide`` sets the status.

A file that cannot be read is a finding about that application, never a failure of the batch;
a store that cannot be reached is a transient error, and the runtime retries the batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from services.common.contracts import (
    PERSONAL_SEALED_FIELD,
    ApplicationCase,
    DocumentsResult,
    DocumentsUploaded,
    DocumentsVerified,
    EarlyOutcome,
    Topics,
)
from services.common.contracts.applicant import PersonalDetails
from services.common.contracts.documents import DocumentReference
from services.common.contracts.topics import TopicSpec
from services.common.docstore import (
    DocumentIntegrityError,
    DocumentNotFound,
    InvalidDocument,
    InvalidDocumentKey,
    sniff,
)
from services.common.docstore.ports import sha256_hex
from services.common.errors import PermanentError
from services.common.fieldcrypto import FieldCipher
from services.common.logs import log_context
from services.common.runtime import Emit, Envelope
from services.documents.fields import ExtractedPage, PageKind
from services.documents.metrics import DocumentsMetrics
from services.documents.outcome import FileProblem, check_identity_document, decide
from services.documents.ports import DocumentReader, Extraction, Extractor, StoredFile
from services.documents.requirements import DEFAULT_REQUIREMENTS, Requirements
from services.documents.verify import ApplicantClaims, verify
from services.documents.waiting import Prepared, WaitingRoom, Work

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Policy:
    """The thresholds a bank tunes (``DocumentsSettings``)."""

    income_tolerance: float = 0.15
    min_field_confidence: float = 0.8
    min_page_confidence: float = 0.5
    when_nothing_uploaded: Literal["await_documents", "continue"] = "await_documents"
    requirements: Requirements = field(default_factory=lambda: DEFAULT_REQUIREMENTS)


@dataclass
class _Live:
    position: int
    envelope: Envelope[Any]
    case: ApplicationCase
    personal: PersonalDetails
    files: list[StoredFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    pages: list[ExtractedPage] = field(default_factory=list)
    awaiting: bool = False


class DocumentsHandler:
    def __init__(
        self,
        *,
        reader: DocumentReader,
        extractor: Extractor,
        cipher: FieldCipher,
        stage_version: str,
        policy: Policy | None = None,
        waiting: WaitingRoom | None = None,
        metrics: DocumentsMetrics | None = None,
        output: TopicSpec[DocumentsVerified] = Topics.DOCUMENTS_VERIFIED,
        clock: Clock = _utc_now,
    ) -> None:
        self._reader = reader
        self._extractor = extractor
        self._cipher = cipher
        self._stage_version = stage_version
        self._policy = policy or Policy()
        self._metrics = metrics or DocumentsMetrics()
        self._waiting = waiting
        self._output = output
        self._clock = clock

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit]:
        now = self._clock()
        prepared = self._prepare(batch)
        emits: dict[int, Emit] = {}
        live: list[_Live] = []
        for work in prepared.work:
            if work.case.ended_early:
                skipped = DocumentsResult(
                    status="skipped", completed_at=now, stage_version=self._stage_version
                )
                emits[work.position] = self._emit(work.envelope, work.case, skipped, None)
            else:
                # A seal that does not open fails this event alone: the runtime retries the
                # batch event by event and dead-letters only that one.
                live.append(_Live(work.position, work.envelope, work.case, self._open(work.case)))
                if work.resumed:
                    self._metrics.resumed.inc()
        if live:
            self._read_files(live)
            self._extract(live)
            for item in live:
                emits[item.position] = self._verify(item, now)
            waiting = [item.case for item in live if item.awaiting]
            if waiting and self._waiting is not None:
                self._waiting.park(waiting)
        # An upload that resumed nothing (its application was not waiting) emits nothing.
        return [emits[position] for position in sorted(emits)]

    def _prepare(self, batch: Sequence[Envelope[Any]]) -> Prepared:
        if self._waiting is not None:
            return self._waiting.prepare(batch)
        if any(isinstance(envelope.value, DocumentsUploaded) for envelope in batch):
            raise PermanentError(
                "uploads need the waiting room, which this stage was built without"
            )
        return Prepared(work=[Work(p, e, e.value) for p, e in enumerate(batch)])

    def _open(self, case: ApplicationCase) -> PersonalDetails:
        return self._cipher.open_model(
            case.application.identity.personal_sealed,
            PersonalDetails,
            application_id=case.application_id,
            field=PERSONAL_SEALED_FIELD,
        )

    def _read_files(self, live: list[_Live]) -> None:
        for item in live:
            seen: set[str] = set()
            for reference in item.case.application.documents:
                if reference.sha256 in seen:
                    continue  # the same bytes uploaded twice are read once
                seen.add(reference.sha256)
                try:
                    data = self._reader.get(reference.storage_uri)
                except DocumentIntegrityError:
                    item.problems.append(FileProblem("integrity", "stored bytes do not match"))
                    continue
                except (DocumentNotFound, InvalidDocumentKey, InvalidDocument) as exc:
                    item.problems.append(FileProblem("unreadable", type(exc).__name__))
                    continue
                checked = _check(data, reference)
                if isinstance(checked, FileProblem):
                    item.problems.append(checked)
                    continue
                item.files.append(StoredFile(str(item.case.application_id), checked, data))

    def _extract(self, live: list[_Live]) -> None:
        files = [stored for item in live for stored in item.files]
        if not files:
            return
        started = time.perf_counter()
        log.info("extracting documents", extra={"files": len(files), "applications": len(live)})
        extractions = iter(self._extractor.extract(files))
        self._metrics.extraction_seconds.observe(time.perf_counter() - started)
        for item in live:
            for _ in item.files:
                self._take(item, next(extractions))

    def _take(self, item: _Live, extraction: Extraction) -> None:
        if extraction.failure is not None:
            kind: Literal["timeout", "unreadable"] = (
                "timeout" if extraction.timed_out else "unreadable"
            )
            item.problems.append(FileProblem(kind, extraction.failure))
            self._metrics.files.labels(kind).inc()
            return
        self._metrics.files.labels("read").inc()
        for page in extraction.pages:
            if page.kind_confidence < self._policy.min_page_confidence:
                # A kind the classifier is unsure of satisfies no requirement.
                page = page.model_copy(update={"kind": PageKind.OTHER, "fields": {}})
            self._metrics.pages.labels(page.kind.value).inc()
            item.pages.append(page)

    def _verify(self, item: _Live, now: datetime) -> Emit:
        application = item.case.application
        policy = self._policy
        with log_context(item.envelope.key, item.envelope.event.trace_id):
            name = item.personal.name
            full_name = " ".join(p for p in (name.given_name, name.family_name) if p)
            claims = ApplicantClaims(
                full_name=full_name,
                ssn_last4=application.identity.ssn_last4,
                address_line1=item.personal.address.line1,
                employer_name=application.employment.employer_name,
                employment=application.employment.employment_status,
                stated_annual_income=float(application.financials.annual_income),
                product=application.loan.product,
            )
            verification = verify(
                item.pages,
                claims,
                income_tolerance=policy.income_tolerance,
                min_confidence=policy.min_field_confidence,
                requirements=policy.requirements,
            )
            identity = check_identity_document(
                item.pages,
                full_name=full_name,
                date_of_birth=item.personal.date_of_birth,
                on=application.submitted_at.date(),
            )
            result, ended = decide(
                uploaded=len(application.documents),
                problems=item.problems,
                verification=verification,
                identity=identity,
                when_nothing_uploaded=policy.when_nothing_uploaded,
                now=now,
                stage_version=self._stage_version,
                model_version=self._extractor.version,
            )
            item.awaiting = result.status == "awaiting_documents"
            for problem in item.problems:
                if problem.kind == "integrity":
                    self._metrics.files.labels("integrity").inc()
            self._metrics.observe(result)
            log.info(
                "documents verified",
                extra={
                    "status": result.status,
                    "revision": item.case.revision,
                    "files": len(application.documents),
                    "pages": len(item.pages),
                    "missing": [kind.value for kind in result.missing_documents],
                    "reason_codes": [reason.code for reason in result.reasons],
                },
            )
            return self._emit(item.envelope, item.case, result, ended)

    def _emit(
        self,
        envelope: Envelope[Any],
        case: ApplicationCase,
        result: DocumentsResult,
        ended: EarlyOutcome | None,
    ) -> Emit:
        updates: dict[str, Any] = {"documents": result}
        if ended is not None:
            updates["early_outcome"] = ended
        return Emit.following(envelope, self._output, case.advance(DocumentsVerified, **updates))


def _check(data: bytes, reference: DocumentReference) -> DocumentReference | FileProblem:
    """The reference with the content type the bytes show (not the declared one), or why the
    file cannot be used."""
    if sha256_hex(data) != reference.sha256:
        return FileProblem("integrity", "stored bytes do not match the recorded hash")
    try:
        kind = sniff(data)
    except InvalidDocument:
        return FileProblem("unreadable", "not a PDF, JPEG, PNG or TIFF")
    return reference.model_copy(update={"content_type": kind.content_type})
