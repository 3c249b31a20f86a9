"""Waiting for documents: an application asked for documents is parked, a later upload resumes
it once at the next revision, and uploads are added to cases that are still on their way."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.common.contracts import (
    ApplicationCase,
    DocumentsUploaded,
    DocumentsVerified,
    Topics,
)
from services.common.contracts.documents import DocumentReference
from services.common.docstore import LocalDocumentStore
from services.common.errors import PermanentError
from services.common.runtime import Envelope
from services.common.runtime.cloudevents import CloudEvent
from services.documents.fields import PageKind
from services.documents.handler import DocumentsHandler
from services.documents.pool import ExtractionPool
from services.documents.ports import ResumeClaim
from services.documents.waiting import WaitingRoom
from tests.unit.contracts import samples
from tests.unit.documents.stage_support import applicant, envelope, received, upload

NOW = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)


class MemoryParking:
    """The waiting room's storage as plain dictionaries, with the claim rule of the Redis one."""

    def __init__(self) -> None:
        self.recorded: dict[str, dict[str, DocumentReference]] = {}
        self.waiting: dict[str, ApplicationCase] = {}
        self.claims: dict[tuple[str, int], str] = {}

    def record_uploads(self, uploads: Sequence[DocumentsUploaded]) -> None:
        for item in uploads:
            bucket = self.recorded.setdefault(str(item.application_id), {})
            bucket.update({reference.sha256: reference for reference in item.documents})

    def uploads(self, application_ids: Iterable[str]) -> dict[str, list[DocumentReference]]:
        return {k: list(self.recorded[k].values()) for k in application_ids if k in self.recorded}

    def park(self, cases: Sequence[ApplicationCase]) -> None:
        self.waiting.update({str(case.application_id): case for case in cases})

    def parked(self, application_ids: Iterable[str]) -> dict[str, ApplicationCase]:
        return {k: self.waiting[k] for k in application_ids if k in self.waiting}

    def claim_resumes(self, claims: Sequence[ResumeClaim]) -> list[bool]:
        won = []
        for claim in claims:
            holder = self.claims.setdefault(
                (claim.application_id, claim.revision), claim.coordinates
            )
            won.append(holder == claim.coordinates)
        return won


def upload_envelope(
    application_id: uuid.UUID, references: Sequence[DocumentReference], offset: int
) -> Envelope[Any]:
    value = DocumentsUploaded(
        application_id=application_id,
        upload_id=uuid.uuid4().hex,
        uploaded_at=NOW,
        documents=tuple(references),
    )
    key = str(application_id)
    return Envelope(
        topic=Topics.DOCUMENTS_UPLOADED.name,
        partition=0,
        offset=offset,
        key=key,
        value=value,
        event=CloudEvent.new(type=Topics.DOCUMENTS_UPLOADED.ce_type, source="test", subject=key),
    )


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "store")


def stage(store: LocalDocumentStore, parking: MemoryParking) -> DocumentsHandler:
    return DocumentsHandler(
        reader=store,
        extractor=ExtractionPool(0, max_pages=40, file_timeout_s=60),
        cipher=samples.field_cipher(),
        stage_version="test",
        waiting=WaitingRoom(parking),
        clock=lambda: NOW,
    )


def only(emits: Sequence[Any]) -> DocumentsVerified:
    [emit] = emits
    assert isinstance(emit.value, DocumentsVerified)
    return emit.value


def test_a_waiting_application_resumes_once_its_documents_arrive(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    parking = MemoryParking()
    handler = stage(store, parking)
    person = applicant(40, product="Car")
    id_card = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    first = only(handler([envelope(received(person, id_card))]))
    assert first.documents.status == "awaiting_documents" and first.revision == 0
    assert str(first.application_id) in parking.waiting

    w2 = upload(store, person, tmp_path / "later", (PageKind.W2,))
    resumed = only(handler([upload_envelope(first.application_id, w2, offset=7)]))
    assert resumed.revision == 1
    assert resumed.documents.status == "pass", resumed.documents.reasons
    assert resumed.early_outcome is None
    assert resumed.documents.documents_reviewed == 2
    assert resumed.documents.verified_annual_income is not None

    # The same upload replayed after a crash resumes again (nothing was committed); another
    # upload finds the application already resumed and emits nothing.
    again = only(handler([upload_envelope(first.application_id, w2, offset=7)]))
    assert again.revision == 1 and again.documents.status == "pass"
    assert handler([upload_envelope(first.application_id, w2, offset=8)]) == []


def test_an_upload_for_an_application_nobody_waits_for_emits_nothing(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    parking = MemoryParking()
    person = applicant(41)
    w2 = upload(store, person, tmp_path, (PageKind.W2,))
    application_id = person.submitted.application_id
    assert application_id is not None
    assert stage(store, parking)([upload_envelope(application_id, w2, offset=1)]) == []
    assert str(application_id) in parking.recorded  # kept for when the application comes


def test_files_uploaded_before_the_case_reached_the_stage_are_added_to_it(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    parking = MemoryParking()
    handler = stage(store, parking)
    person = applicant(42, product="Car")
    application_id = person.submitted.application_id
    assert application_id is not None
    id_card = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    w2 = upload(store, person, tmp_path / "early", (PageKind.W2,))
    # The upload overtakes the application (another topic), or shares its batch.
    assert handler([upload_envelope(application_id, w2, offset=1)]) == []
    case = only(handler([envelope(received(person, id_card))]))
    assert case.documents.status == "pass" and case.revision == 0
    assert case.documents.documents_reviewed == 2
    assert str(application_id) not in parking.waiting


def test_two_uploads_in_one_batch_resume_the_application_once_with_both(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    parking = MemoryParking()
    handler = stage(store, parking)
    person = applicant(43, product="Home")  # income, identity, banking, address
    id_card = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    first = only(handler([envelope(received(person, id_card))]))
    assert set(first.documents.missing_documents) >= {"w2", "bank_statement"}
    w2 = upload(store, person, tmp_path / "a", (PageKind.W2,))
    statement = upload(store, person, tmp_path / "b", (PageKind.BANK_STATEMENT,))
    emits = handler(
        [
            upload_envelope(first.application_id, w2, offset=1),
            upload_envelope(first.application_id, statement, offset=2),
        ]
    )
    resumed = only(emits)
    assert resumed.revision == 1
    assert resumed.documents.status == "pass", resumed.documents.reasons
    assert resumed.documents.documents_reviewed == 3


def test_still_missing_documents_keep_it_waiting_at_the_new_revision(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    parking = MemoryParking()
    handler = stage(store, parking)
    person = applicant(44, product="Home")
    first = only(handler([envelope(received(person))]))
    w2 = upload(store, person, tmp_path, (PageKind.W2,))
    second = only(handler([upload_envelope(first.application_id, w2, offset=3)]))
    assert second.documents.status == "awaiting_documents" and second.revision == 1
    assert parking.waiting[str(first.application_id)].revision == 1
    rest = upload(
        store, person, tmp_path / "rest", (PageKind.GOVERNMENT_ID, PageKind.BANK_STATEMENT)
    )
    third = only(handler([upload_envelope(first.application_id, rest, offset=4)]))
    assert third.documents.status == "pass" and third.revision == 2


def test_a_stage_without_a_waiting_room_refuses_uploads(store: LocalDocumentStore) -> None:
    handler = DocumentsHandler(
        reader=store,
        extractor=ExtractionPool(0, max_pages=40, file_timeout_s=60),
        cipher=samples.field_cipher(),
        stage_version="test",
    )
    with pytest.raises(PermanentError, match="waiting room"):
        handler([upload_envelope(uuid.uuid4(), samples.submission().documents, offset=0)])
