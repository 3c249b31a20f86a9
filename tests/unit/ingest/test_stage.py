from __future__ import annotations

from typing import Any

from services.common.contracts import ApplicationReceived, Topics
from services.common.runtime import Emit, Envelope, Reject
from services.common.runtime.cloudevents import CloudEvent
from services.common.runtime.handling import HandlerInvoker, RetryPolicy
from services.ingest.intake import record_application_id
from services.ingest.stage import SERVICE, IntakeHandler, submitted_application_key
from tests.unit.contracts import samples
from tests.unit.ingest.support import SECRETS, config, submission_with

SUBMITTED = Topics.SUBMITTED.name


def envelope(value: Any, offset: int = 0, key: str | None = "customer-1") -> Envelope[Any]:
    return Envelope(
        topic=SUBMITTED,
        partition=1,
        offset=offset,
        key=key,
        value=value,
        event=CloudEvent.new(type=Topics.SUBMITTED.ce_type, source="bank", subject=key),
    )


def handler() -> IntakeHandler:
    return IntakeHandler(config(), clock=lambda: samples.RECEIVED_AT)


def test_a_valid_submission_is_emitted_keyed_by_the_application_id() -> None:
    cause = envelope(samples.submission())
    [result] = handler()([cause])
    assert isinstance(result, Emit)
    assert result.topic is Topics.RECEIVED
    assert isinstance(result.value, ApplicationReceived)
    # The submitted record was keyed by the customer id; the received one by the application.
    assert result.key == str(samples.APPLICATION_ID)
    assert result.cause is cause
    text = result.value.model_dump_json()
    for secret in SECRETS:
        assert secret not in text


def test_an_id_is_derived_from_the_record_when_the_submitter_gave_none() -> None:
    anonymous = submission_with(application_id=None)
    [first] = handler()([envelope(anonymous, offset=7, key=None)])
    [again] = handler()([envelope(anonymous, offset=7, key=None)])
    assert isinstance(first, Emit) and isinstance(again, Emit)
    assert first.key == again.key == str(record_application_id(SUBMITTED, 1, 7))


def test_a_rule_violation_is_rejected_with_paths_and_rule_ids() -> None:
    bad = submission_with(employment__years_employed=20)
    [result] = handler()([envelope(bad)])
    assert isinstance(result, Reject)
    assert "employment.years_employed: years_employed_exceeds_age_minus_14" in result.reason
    for secret in SECRETS:
        assert secret not in result.reason


def test_the_runtime_dead_letters_rejections_and_forwards_the_rest() -> None:
    invoker = HandlerInvoker(
        handler(), service=SERVICE, policy=RetryPolicy(0, 0.01, 0.01), sleep=lambda _: None
    )
    batch = [
        envelope(samples.submission(), 0),
        envelope(submission_with(loan__term_years=10), 1),
    ]
    outcome = invoker(batch)
    assert len(outcome.emits) == 1
    assert [(f.envelope.offset, f.kind) for f in outcome.failures] == [(1, "rejected")]


def test_duplicates_are_recognised_by_the_submitters_id_not_the_kafka_key() -> None:
    assert submitted_application_key(envelope(samples.submission())) == str(samples.APPLICATION_ID)
    assert submitted_application_key(envelope(submission_with(application_id=None))) is None
