"""The status an application's events imply, and how a newer one merges into what is stored.

Pure logic. Each stage event and the decision become a ``StatusUpdate``; ``merge`` folds one
into the stored ``ApplicationStatus``. Events of one application arrive on different topics, so
they may come out of order, and a crash replays some: an update moves the status only forward
(a later revision, or a later step of the same revision), and adds its timeline entry once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from services.common.contracts import (
    ApplicationCase,
    DocumentsVerified,
    FraudScreened,
    Scored,
)
from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.status import ApplicationStatus, Status, StatusEntry

KAFKA_OWNER: Final = "kafka-intake"
"""Owner of an application that came through the Kafka intake: no HTTP client may read it."""

_STEP: Final[dict[Status, int]] = {
    "received": 0,
    "documents_verified": 1,
    "awaiting_documents": 1,
    "fraud_screened": 2,
    "scored": 3,
    "referred": 4,
    "decided": 4,
}


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    application_id: str
    status: Status
    stage: str
    at: datetime
    revision: int = 0
    decision: LoanDecision | None = None

    @property
    def rank(self) -> tuple[int, int]:
        return self.revision, _STEP[self.status]


def update_of(value: Any) -> StatusUpdate | None:
    """The status an event implies; None for one that moves nothing (a skipped stage)."""
    if isinstance(value, LoanDecision):
        referred = value.outcome is DecisionOutcome.REFERRED
        return StatusUpdate(
            str(value.application_id),
            "referred" if referred else "decided",
            "offers",
            value.decided_at,
            value.revision,
            value,
        )
    if isinstance(value, Scored):
        return _stage(value, "scored", "scoring", value.scoring)
    if isinstance(value, FraudScreened):
        return _stage(value, "fraud_screened", "fraud", value.fraud)
    if isinstance(value, DocumentsVerified):
        waiting = value.documents.status == "awaiting_documents"
        status: Status = "awaiting_documents" if waiting else "documents_verified"
        return _stage(value, status, "documents", value.documents)
    return None


def _stage(case: ApplicationCase, status: Status, stage: str, result: Any) -> StatusUpdate | None:
    if result.status == "skipped":
        return None  # an earlier stage ended it; its own event said so
    return StatusUpdate(str(case.application_id), status, stage, result.completed_at, case.revision)


def merge(current: ApplicationStatus | None, update: StatusUpdate) -> ApplicationStatus | None:
    """The stored status with ``update`` folded in; None when nothing changes."""
    entry = StatusEntry(status=update.status, at=update.at, stage=update.stage)
    if current is None:
        return ApplicationStatus(
            application_id=update.application_id,
            owner=KAFKA_OWNER,
            status=update.status,
            version=1,
            updated_at=update.at,
            timeline=(entry,),
            decision=update.decision,
            revision=update.revision,
        )
    known = entry in current.timeline
    forward = update.rank > (current.revision, _STEP[current.status])
    if known and not forward:
        return None
    timeline = current.timeline if known else tuple(sorted((*current.timeline, entry), key=_when))
    changes: dict[str, Any] = {"timeline": timeline, "version": current.version + 1}
    if forward:
        changes |= {"status": update.status, "revision": update.revision}
        changes["updated_at"] = max(current.updated_at, update.at)
        if update.decision is not None:
            changes["decision"] = update.decision
    return current.model_copy(update=changes)


def _when(entry: StatusEntry) -> datetime:
    return entry.at


def fold(
    current: ApplicationStatus | None, updates: Sequence[StatusUpdate]
) -> tuple[ApplicationStatus | None, int]:
    """``merge`` each update in turn: the result (None when nothing changed) and how many
    updates changed it. Folding a batch at once gives what merging one by one would."""
    folded = current
    changed = 0
    for update in updates:
        merged = merge(folded, update)
        if merged is not None:
            folded = merged
            changed += 1
    return (folded if changed else None), changed
