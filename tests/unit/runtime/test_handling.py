"""The failure policy of the handler invoker, without a broker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import redis

from services.common.contracts.base import EventModel
from services.common.errors import TransientError, WriterViolationError
from services.common.runtime.cloudevents import CloudEvent
from services.common.runtime.envelope import Emit, Envelope, Reject
from services.common.runtime.handling import HandlerInvoker, RetryPolicy
from services.common.runtime.relay import RelayEvent, RelayHandler, relay_topic

OUT = relay_topic("out.v1", writer="relay")


def envelope(sequence: int, payload: str = "x") -> Envelope[RelayEvent]:
    return Envelope(
        topic="in.v1",
        partition=0,
        offset=sequence,
        key=f"id-{sequence}",
        value=RelayEvent(
            event_id=f"id-{sequence}", sequence=sequence, created_ns=0, payload=payload
        ),
        event=CloudEvent.new(type="t", source="s", subject=f"id-{sequence}"),
    )


def invoker(handler: Any, retries: int = 2) -> tuple[HandlerInvoker, list[float]]:
    sleeps: list[float] = []
    return (
        HandlerInvoker(
            handler, service="relay", policy=RetryPolicy(retries, 0.1, 1.0), sleep=sleeps.append
        ),
        sleeps,
    )


def test_forwards_every_event_in_order() -> None:
    run, _ = invoker(RelayHandler(OUT))
    outcome = run([envelope(i) for i in range(5)])
    assert [e.value.sequence for e in outcome.emits] == [0, 1, 2, 3, 4]  # type: ignore[attr-defined]
    assert all(e.value.hops == 1 for e in outcome.emits)  # type: ignore[attr-defined]
    assert outcome.failures == []


def test_poison_event_is_isolated_from_its_batch() -> None:
    run, _ = invoker(RelayHandler(OUT, reject_poison=True))
    batch = [envelope(0), envelope(1, payload="poison"), envelope(2)]
    outcome = run(batch)
    assert [e.value.sequence for e in outcome.emits] == [0, 2]  # type: ignore[attr-defined]
    assert [(f.envelope.offset, f.kind) for f in outcome.failures] == [(1, "handler_error")]


def test_transient_failures_retry_with_growing_backoff_then_succeed() -> None:
    calls = 0

    def flaky(batch: Sequence[Envelope[Any]]) -> list[Emit]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise TransientError("bureau timed out")
        return [Emit.following(e, OUT, e.value) for e in batch]

    run, sleeps = invoker(flaky, retries=3)
    outcome = run([envelope(0)])
    assert len(outcome.emits) == 1
    assert outcome.retries == 2
    assert sleeps == [0.1, 0.2]


def test_retries_are_bounded_and_end_in_dead_letters() -> None:
    def down(_batch: Sequence[Envelope[Any]]) -> list[Emit]:
        raise TransientError("still down")

    run, sleeps = invoker(down, retries=2)
    outcome = run([envelope(0), envelope(1)])
    assert outcome.emits == []
    assert [f.kind for f in outcome.failures] == ["retries_exhausted"] * 2
    assert {f.attempts for f in outcome.failures} == {3}
    assert len(sleeps) == 2


def test_reject_goes_to_dead_letters_with_its_reason() -> None:
    def judge(batch: Sequence[Envelope[Any]]) -> list[Emit | Reject]:
        return [Reject(e, "applicant under 18") for e in batch]

    run, _ = invoker(judge)
    outcome = run([envelope(0)])
    assert outcome.failures[0].kind == "rejected"
    assert str(outcome.failures[0].error) == "applicant under 18"


def test_writing_a_topic_owned_by_another_service_is_refused() -> None:
    foreign = relay_topic("someone-elses.v1", writer="ingest")

    def trespass(batch: Sequence[Envelope[Any]]) -> list[Emit]:
        return [Emit.following(e, foreign, e.value) for e in batch]

    run, _ = invoker(trespass)
    outcome = run([envelope(0)])
    assert outcome.emits == []
    assert isinstance(outcome.failures[0].error, WriterViolationError)


def test_emitting_the_wrong_model_for_a_topic_is_refused() -> None:
    other_model = relay_topic("out.v1", writer="relay")

    def wrong(batch: Sequence[Envelope[Any]]) -> list[Emit]:
        return [Emit(topic=other_model, value=CloudEventish(), key="k") for _ in batch]

    run, _ = invoker(wrong)
    outcome = run([envelope(0)])
    assert outcome.failures and outcome.failures[0].kind == "handler_error"


class CloudEventish(EventModel):
    """An event model that is not the topic's value model."""


@pytest.mark.parametrize("attempt,expected", [(1, 0.1), (2, 0.2), (3, 0.4), (10, 1.0)])
def test_backoff_is_capped(attempt: int, expected: float) -> None:
    assert RetryPolicy(5, 0.1, 1.0).delay(attempt) == pytest.approx(expected)


def test_a_redis_outage_inside_the_handler_is_transient_not_a_bug() -> None:
    calls = 0

    def uses_redis(batch: Sequence[Envelope[Any]]) -> list[Emit]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise redis.ConnectionError("connection refused")
        return [Emit.following(e, OUT, e.value) for e in batch]

    run, sleeps = invoker(uses_redis)
    outcome = run([envelope(0)])
    assert len(outcome.emits) == 1 and outcome.failures == []
    assert len(sleeps) == 1
