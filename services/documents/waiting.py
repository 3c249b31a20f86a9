"""Which cases a batch works on: the cases it received, with any files uploaded since their
submission, and the waiting applications its uploads resume.

An upload for an application that is also in the batch adds to that case instead of resuming
anything. Of several uploads for one waiting application in a batch, the first resumes it, with
every file recorded so far. A resumed case is the waiting one at the next revision, its
documents result and early outcome cleared, so the stage judges it afresh and later stages
treat it as new work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.common.contracts import ApplicationCase, DocumentsUploaded
from services.common.contracts.application import MAX_DOCUMENTS
from services.common.contracts.documents import DocumentReference
from services.common.runtime import Envelope
from services.documents.parking import merged
from services.documents.ports import Parking, ResumeClaim


@dataclass(frozen=True, slots=True)
class Work:
    """One case to judge, and the input record its output follows."""

    position: int
    envelope: Envelope[Any]
    case: ApplicationCase
    resumed: bool = False


@dataclass
class Prepared:
    work: list[Work] = field(default_factory=list)
    uploads: int = 0


class WaitingRoom:
    """Records uploads, adds them to cases, resumes waiting applications, parks new waiters."""

    def __init__(self, parking: Parking) -> None:
        self._parking = parking

    def prepare(self, batch: Sequence[Envelope[Any]]) -> Prepared:
        uploads = [
            (position, envelope)
            for position, envelope in enumerate(batch)
            if isinstance(envelope.value, DocumentsUploaded)
        ]
        cases = [
            (position, envelope)
            for position, envelope in enumerate(batch)
            if isinstance(envelope.value, ApplicationCase)
        ]
        self._parking.record_uploads([envelope.value for _, envelope in uploads])
        in_batch = {str(envelope.value.application_id) for _, envelope in cases}
        later = self._parking.uploads(
            in_batch | {str(envelope.value.application_id) for _, envelope in uploads}
        )
        work = [
            Work(position, envelope, _with(envelope.value, later.get(key, [])))
            for position, envelope in cases
            if (key := str(envelope.value.application_id)) is not None
        ]
        work += self._resume(uploads, in_batch, later)
        work.sort(key=lambda item: item.position)
        return Prepared(work=work, uploads=len(uploads))

    def park(self, waiting: Sequence[ApplicationCase]) -> None:
        self._parking.park(waiting)

    def _resume(
        self,
        uploads: list[tuple[int, Envelope[Any]]],
        in_batch: set[str],
        later: dict[str, list[DocumentReference]],
    ) -> list[Work]:
        first: dict[str, tuple[int, Envelope[Any]]] = {}
        for position, envelope in uploads:
            key = str(envelope.value.application_id)
            if key not in in_batch:
                first.setdefault(key, (position, envelope))
        parked = self._parking.parked(first)
        candidates = [key for key in first if key in parked]
        won = self._parking.claim_resumes(
            [
                ResumeClaim(key, parked[key].revision, first[key][1].coordinates)
                for key in candidates
            ]
        )
        resumed = []
        for key, ok in zip(candidates, won, strict=True):
            if not ok:
                continue  # another upload already resumed this revision
            waiting = _with(parked[key], later.get(key, []))
            case = waiting.model_copy(
                update={"revision": waiting.revision + 1, "documents": None, "early_outcome": None}
            )
            position, envelope = first[key]
            resumed.append(Work(position, envelope, case, resumed=True))
        return resumed


def _with(case: ApplicationCase, uploaded: list[DocumentReference]) -> ApplicationCase:
    if not uploaded:
        return case
    documents = merged(case.application.documents, uploaded, MAX_DOCUMENTS)
    application = case.application.model_copy(update={"documents": documents})
    return case.model_copy(update={"application": application})
