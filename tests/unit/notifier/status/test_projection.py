"""Status updates from events, folded in order or out of it, replayed or not."""

from __future__ import annotations

from datetime import timedelta

from services.common.contracts import EarlyOutcome, Reason, StageName
from services.common.contracts.decision import DecisionOutcome
from services.common.status import ApplicationStatus, StatusEntry
from services.notifier.status.projection import (
    KAFKA_OWNER,
    StatusUpdate,
    merge,
    update_of,
)
from services.notifier.status.projection import fold as fold_batch
from tests.unit.contracts import samples

AT = samples.RECEIVED_AT


def received() -> ApplicationStatus:
    entry = StatusEntry(status="received", at=AT, stage="ingest")
    return ApplicationStatus(
        application_id=str(samples.APPLICATION_ID),
        owner="bank-a",
        status="received",
        version=1,
        updated_at=AT,
        timeline=(entry,),
    )


def fold(status: ApplicationStatus | None, *values: object) -> ApplicationStatus | None:
    for value in values:
        update = update_of(value)
        assert update is not None
        status = merge(status, update) or status
    return status


def test_each_event_implies_its_status() -> None:
    kinds = [
        update_of(value).status  # type: ignore[union-attr]
        for value in (
            samples.documents_verified(),
            samples.fraud_screened(),
            samples.scored(),
            samples.decision(),
        )
    ]
    assert kinds == ["documents_verified", "fraud_screened", "scored", "decided"]
    assert update_of(samples.received()) is None


def test_the_timeline_follows_the_stages_and_the_decision_is_attached() -> None:
    status = fold(
        received(),
        samples.documents_verified(),
        samples.fraud_screened(),
        samples.scored(),
        samples.decision(),
    )
    assert status is not None
    assert status.status == "decided" and status.version == 5 and status.owner == "bank-a"
    assert [e.status for e in status.timeline] == [
        "received",
        "documents_verified",
        "fraud_screened",
        "scored",
        "decided",
    ]
    assert status.decision == samples.decision()


def test_out_of_order_and_replayed_events_never_move_it_back() -> None:
    in_order = fold(received(), samples.documents_verified(), samples.scored(), samples.decision())
    shuffled = fold(
        received(),
        samples.decision(),
        samples.documents_verified(),
        samples.scored(),
        samples.decision(),  # a replay
    )
    assert in_order is not None and shuffled is not None
    assert shuffled.status == "decided"
    assert shuffled.timeline == in_order.timeline
    update = update_of(samples.scored())
    assert update is not None
    assert merge(shuffled, update) is None  # already known: nothing to write


def test_waiting_for_documents_then_the_resumed_revision() -> None:
    waiting_case = samples.documents_verified().model_copy(
        update={
            "documents": samples.documents_result().model_copy(
                update={"status": "awaiting_documents"}
            ),
            "early_outcome": EarlyOutcome(
                outcome="awaiting_documents",
                stage=StageName.DOCUMENTS,
                reasons=(Reason(code="DOCUMENTS_MISSING", description="Please upload: W-2."),),
                decided_at=AT,
            ),
        }
    )
    resumed = samples.documents_verified().model_copy(
        update={
            "revision": 1,
            "documents": samples.documents_result().model_copy(
                update={"completed_at": AT + timedelta(days=2)}
            ),
        }
    )
    status = fold(received(), waiting_case)
    assert status is not None and status.status == "awaiting_documents"
    status = fold(status, resumed)
    assert status is not None and status.status == "documents_verified" and status.revision == 1


def test_a_referral_is_its_own_status_and_kafka_applications_get_a_closed_owner() -> None:
    decision = samples.decision().model_copy(
        update={"outcome": DecisionOutcome.REFERRED, "offers": (), "reasons": ()}
    )
    update = update_of(decision)
    assert update is not None
    created = merge(None, update)
    assert created is not None
    assert created.status == "referred" and created.owner == KAFKA_OWNER


def test_folding_a_batch_gives_what_merging_one_by_one_gives() -> None:
    values = [samples.decision(), samples.scored(), samples.documents_verified(), samples.scored()]
    updates = [u for u in (update_of(v) for v in values) if u is not None]
    folded, changed = fold_batch(received(), updates)
    assert folded == fold_one_by_one(received(), updates)
    assert changed == 3  # the replayed scored changes nothing
    assert fold_batch(folded, updates) == (None, 0)


def fold_one_by_one(
    status: ApplicationStatus | None, updates: list[StatusUpdate]
) -> ApplicationStatus | None:
    for update in updates:
        status = merge(status, update) or status
    return status
