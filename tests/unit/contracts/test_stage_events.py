from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.contracts import (
    WIRE_CONTEXT,
    ApplicationReceived,
    DecisionOutcome,
    DocumentsResult,
    DocumentsVerified,
    EarlyOutcome,
    FraudResult,
    FraudScreened,
    LoanDecision,
    Scored,
)
from tests.unit.contracts import samples


def _locations(error: ValidationError) -> set[str]:
    return {".".join(str(part) for part in item["loc"]) for item in error.errors()}


@pytest.mark.parametrize(
    "event_factory",
    [samples.received, samples.documents_verified, samples.fraud_screened, samples.scored],
)
def test_stage_events_round_trip(event_factory: Any) -> None:
    event = event_factory()
    again = type(event).model_validate_json(event.model_dump_json(context=WIRE_CONTEXT))
    assert again == event


@pytest.mark.parametrize(
    ("model", "section"),
    [(DocumentsVerified, "documents"), (FraudScreened, "fraud"), (Scored, "scoring")],
)
def test_each_stage_topic_requires_its_own_section(model: Any, section: str) -> None:
    payload = json.loads(samples.scored().model_dump_json())
    del payload[section]
    with pytest.raises(ValidationError) as error:
        model.model_validate(payload)
    assert section in _locations(error.value)
    # The section is optional on the shared shape, so reordering the chain keeps working.
    ApplicationReceived.model_validate(payload)


def test_stages_can_run_in_another_order() -> None:
    fraud_first = samples.received().advance(FraudScreened, fraud=samples.fraud_result())
    assert fraud_first.documents is None
    documents_second = fraud_first.advance(DocumentsVerified, documents=samples.documents_result())
    assert documents_second.fraud == samples.fraud_result()


def test_early_outcome_passes_through_later_stages() -> None:
    outcome = EarlyOutcome(
        outcome="reject",
        stage="fraud",
        reasons=({"code": "WATCHLIST_MATCH", "description": "Strong watch-list match."},),
        decided_at=samples.RECEIVED_AT + timedelta(seconds=1),
    )
    rejected = samples.received().advance(
        FraudScreened,
        fraud=samples.fraud_result().model_copy(update={"status": "reject"}),
        early_outcome=outcome,
    )
    skipped = DocumentsResult(
        status="skipped", completed_at=samples.RECEIVED_AT, stage_version="1.0.0"
    )
    passed_on = rejected.advance(DocumentsVerified, documents=skipped)
    assert passed_on.ended_early
    assert passed_on.early_outcome == outcome


def test_skipped_without_an_early_outcome_is_rejected() -> None:
    skipped = DocumentsResult(
        status="skipped", completed_at=samples.RECEIVED_AT, stage_version="1.0.0"
    )
    with pytest.raises(ValidationError, match="no stage ended the application early"):
        samples.received().advance(DocumentsVerified, documents=skipped)


@pytest.mark.parametrize(
    ("update", "location"),
    [
        ({"status": "awaiting_documents"}, "status"),
        ({"fraud_score": 1.5}, "fraud_score"),
        ({"watchlist_band": "maybe"}, "watchlist_band"),
        ({"stage_version": ""}, "stage_version"),
        ({"reasons": [{"code": "lower", "description": "x"}]}, "reasons.0.code"),
        ({"completed_at": "2025-03-14T09:26:53"}, "completed_at"),
    ],
)
def test_fraud_result_rejects_bad_input(update: dict[str, Any], location: str) -> None:
    payload = {**samples.fraud_result().model_dump(mode="json"), **update}
    with pytest.raises(ValidationError) as error:
        FraudResult.model_validate(payload)
    assert location in _locations(error.value)


def test_early_outcome_allows_at_most_four_reasons() -> None:
    reason = {"code": "DTI_TOO_HIGH", "description": "Debt-to-income above 43 %."}
    base = {"outcome": "reject", "stage": "scoring", "decided_at": samples.RECEIVED_AT}
    EarlyOutcome.model_validate({**base, "reasons": [reason] * 4})
    for reasons in ([reason] * 5, []):
        with pytest.raises(ValidationError) as error:
            EarlyOutcome.model_validate({**base, "reasons": reasons})
        assert "reasons" in _locations(error.value)


def test_decision_round_trips() -> None:
    decision = samples.decision()
    assert LoanDecision.model_validate_json(decision.model_dump_json()) == decision
    assert decision.outcome is DecisionOutcome.APPROVED


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"offers": []}, "needs at least one offer"),
        ({"outcome": "declined"}, "carries no offers"),
        ({"outcome": "declined", "offers": [], "reasons": []}, "must state its principal"),
        ({"outcome": "referred"}, "carries no offers"),
        ({"decided_at": "2025-03-14T09:00:00Z"}, "earlier than received_at"),
    ],
)
def test_decision_outcome_must_match_offers_and_reasons(
    update: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        LoanDecision.model_validate({**samples.decision_payload(), **update})


@pytest.mark.parametrize(
    ("path", "bad_value"),
    [
        (("offers", 0, "term_months"), 0),
        (("offers", 0, "interest_rate"), 101),
        (("offers", 0, "amount"), 0),
        (("offers", 0, "product"), "Yacht"),
        (("outcome",), "maybe"),
        (("decided_by",), "marketing"),
        (("narrative",), "x" * 4001),
    ],
)
def test_decision_rejects_bad_fields(path: tuple[Any, ...], bad_value: Any) -> None:
    payload = samples.decision_payload()
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = bad_value
    with pytest.raises(ValidationError) as error:
        LoanDecision.model_validate(payload)
    assert ".".join(str(part) for part in path) in _locations(error.value)


def test_decision_allows_at_most_four_principal_reasons() -> None:
    reason = {"code": "SCORE_TOO_LOW", "text": "Credit score below 640.", "action": "Raise it."}
    payload = {**samples.decision_payload(), "outcome": "declined", "offers": []}
    LoanDecision.model_validate({**payload, "reasons": [reason] * 4})
    with pytest.raises(ValidationError) as error:
        LoanDecision.model_validate({**payload, "reasons": [reason] * 5})
    assert "reasons" in _locations(error.value)
