"""What the documents handler needs from outside; adapters implement these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from services.common.contracts import ApplicationCase, DocumentsUploaded
from services.common.contracts.documents import DocumentReference
from services.documents.fields import ExtractedPage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ResumeClaim:
    """An upload record's claim to resume one revision of a waiting application."""

    application_id: str
    revision: int
    coordinates: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One uploaded file of one application, read from the store and checked."""

    application_id: str
    reference: DocumentReference
    data: bytes


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one file yielded: its pages, or why it yielded none."""

    pages: tuple[ExtractedPage, ...] = ()
    failure: str | None = None
    timed_out: bool = False


class DocumentReader(Protocol):
    """The part of the document store the stage reads with (``DocumentStore`` fits)."""

    def get(self, uri_or_key: str) -> bytes: ...


class Extractor(Protocol):
    """Reads a batch's files; one ``Extraction`` per file, in the order given."""

    @property
    def version(self) -> str:
        """Names the extractor and its engine, for the event's ``model_version``."""
        ...

    def extract(self, files: Sequence[StoredFile]) -> list[Extraction]: ...


class Parking(Protocol):
    """Applications waiting for documents and later uploads (``parking.RedisParking``)."""

    def record_uploads(self, uploads: Sequence[DocumentsUploaded]) -> None: ...
    def uploads(self, application_ids: Iterable[str]) -> dict[str, list[DocumentReference]]: ...
    def park(self, cases: Sequence[ApplicationCase]) -> None: ...
    def parked(self, application_ids: Iterable[str]) -> dict[str, ApplicationCase]: ...
    def claim_resumes(self, claims: Sequence[ResumeClaim]) -> list[bool]: ...
