"""What a consumed event means to webhook subscribers: its kinds, its id and its bodies.

A decision is a ``decision`` event for every subscriber, a ``rejection`` too when it declines,
and a ``status`` change (decided or referred). A stage event (documents verified, fraud
screened, scored) is a ``status`` change only. A subscription that wants several kinds gets
one delivery per event, of the first kind it wants in that order, so a decline never reaches
the same endpoint twice.

The event id is the consumed record's CloudEvents id: it is the same on every replay of the
record, so it is a sound once-key and the receiver's de-duplication key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.runtime import Envelope
from services.notifier.status.projection import StatusUpdate, update_of
from services.notifier.webhooks.delivery import EVENT_ID_PATTERN, webhook_body
from services.notifier.webhooks.subscriptions import EventKind, Subscription

KIND_ORDER: Final[tuple[EventKind, ...]] = ("decision", "rejection", "status")


@dataclass(frozen=True)
class Notice:
    """One consumed event as webhook subscribers see it."""

    application_id: str
    event_id: str
    kinds: frozenset[EventKind]
    status: StatusUpdate
    decision: LoanDecision | None = None

    def kind_for(self, subscription: Subscription, client_id: str | None) -> EventKind | None:
        """The one kind ``subscription`` receives this event as (the application belonging to
        ``client_id``), or None."""
        for kind in KIND_ORDER:
            if kind in self.kinds and subscription.wants(kind, client_id):
                return kind
        return None

    def body(self, kind: EventKind) -> bytes:
        """The exact JSON sent for ``kind``: the decision, or the status change."""
        if kind in ("decision", "rejection"):
            if self.decision is None:
                raise ValueError(f"a {kind} notice needs a decision")
            return webhook_body(self.event_id, kind, self.decision)
        return webhook_body(self.event_id, kind, self._status_data())

    def _status_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "application_id": self.application_id,
            "status": self.status.status,
            "stage": self.status.stage,
            "at": self.status.at.isoformat(),
            "revision": self.status.revision,
        }
        if self.decision is not None:
            data["outcome"] = self.decision.outcome.value
        return data


def notice_of(envelope: Envelope[Any]) -> Notice | None:
    """The notice an event gives, or None when it changes nothing a subscriber sees."""
    status = update_of(envelope.value)
    if status is None:
        return None
    event_id = envelope.event.id
    if not EVENT_ID_PATTERN.fullmatch(event_id):
        raise ValueError(f"event at {envelope.coordinates} has an unusable id for a webhook")
    decision = envelope.value if isinstance(envelope.value, LoanDecision) else None
    kinds: set[EventKind] = {"status"}
    if decision is not None:
        kinds.add("decision")
        if decision.outcome is DecisionOutcome.DECLINED:
            kinds.add("rejection")
    return Notice(status.application_id, event_id, frozenset(kinds), status, decision)
