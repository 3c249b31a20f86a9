"""Applications with generated documents in a real document store, for the documents stage's
unit and integration tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from services.common.contracts import ApplicationReceived, Topics
from services.common.contracts.application import SubmittedApplication
from services.common.contracts.documents import DocumentReference
from services.common.docstore import DocumentStore
from services.common.runtime import Envelope
from services.common.testing.envelopes import case_envelope
from services.documents.fields import PageKind
from services.documents.requirements import REQUESTED_AS
from services.documents.synthetic.facts import ApplicantFacts, facts_from_application
from services.documents.synthetic.generator import generate_documents
from tests.unit.contracts import samples

DECLARED = REQUESTED_AS
EMPLOYER = "Copperline Foods LLC"


@dataclass(frozen=True)
class Applicant:
    submitted: SubmittedApplication
    facts: ApplicantFacts


def applicant(
    application_id: int, *, product: str = "Car", employment: str = "Employed"
) -> Applicant:
    """The sample submission as a salaried (or other) applicant, with documents-ready facts."""
    payload: dict[str, Any] = samples.submission_payload()
    payload["application_id"] = str(UUID(int=application_id))
    payload["loan"]["product"] = product
    payload["employment"]["employment_status"] = employment
    payload["employment"]["employer_name"] = EMPLOYER
    payload["documents"] = []
    submitted = SubmittedApplication.model_validate(payload)
    return Applicant(submitted, facts_from_application(submitted, seed=application_id))


def upload(
    store: DocumentStore,
    person: Applicant,
    workdir: Path,
    kinds: Sequence[PageKind],
    *,
    scanned: Sequence[PageKind] = (),
    income_mismatch: float | None = None,
) -> tuple[DocumentReference, ...]:
    """Generate the applicant's documents and store them as ingest's upload route would: a
    digital PDF per kind, or the first page's scan (JPEG) for kinds in ``scanned``."""
    application_id = str(person.submitted.application_id)
    generated = generate_documents(
        person.facts,
        workdir / application_id,
        seed=int(UUID(application_id)) % 10_000,
        kinds=list(kinds),
        scans=bool(scanned),
        income_mismatch=income_mismatch,
    )
    references = []
    for document in generated:
        path = document.scanned_pages[0] if document.kind in scanned else document.digital_pdf
        stored = store.put("bank-a", application_id, path.read_bytes())
        references.append(
            stored.reference(document_id=f"doc-{stored.sha256[:12]}", kind=DECLARED[document.kind])
        )
    return tuple(references)


def received(person: Applicant, documents: Sequence[DocumentReference] = ()) -> ApplicationReceived:
    submitted = person.submitted.model_copy(update={"documents": tuple(documents)})
    application_id = submitted.application_id
    assert application_id is not None
    return ApplicationReceived(
        application_id=application_id,
        received_at=submitted.submitted_at + timedelta(seconds=2),
        application=samples.protector().protect(submitted, application_id),
    )


def envelope(value: ApplicationReceived, offset: int = 0) -> Envelope[Any]:
    return case_envelope(Topics.RECEIVED, value, offset)
