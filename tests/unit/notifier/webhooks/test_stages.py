"""The two webhook stages' decisions, over an in-process HTTP transport and a direct ``Once``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from services.common.contracts import LoanDecision, Topics
from services.common.contracts.base import EventModel
from services.common.contracts.notifications import WebhookRetry
from services.common.contracts.topics import TopicSpec
from services.common.idempotency import FailedCall
from services.common.runtime import Emit, Envelope, Reject
from services.common.testing.envelopes import event_envelope
from services.notifier.webhooks.delivery import WebhookDeliverer
from services.notifier.webhooks.dispatch import Dispatcher
from services.notifier.webhooks.handler import WebhookHandler
from services.notifier.webhooks.retries import RetryHandler, retry_dedup_key
from services.notifier.webhooks.retry import RetryPolicy
from services.notifier.webhooks.signing import Signer, WebhookReceiver
from services.notifier.webhooks.ssrf import UrlGuard
from services.notifier.webhooks.subscriptions import SubscriptionRegistry
from tests.unit.contracts import samples

KEY = SecretStr("stage-signing-key-" + "k" * 30)
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SUBSCRIPTIONS: list[dict[str, Any]] = [
    {
        "id": "acme-decisions",
        "client_id": "acme",
        "url": "https://hooks.acme.example/decisions",
        "events": ["decision", "status"],
        "secret_id": "k",
    },
    {
        "id": "bureau-rejections",
        "client_id": None,
        "url": "https://rejections.bureau.example/feed",
        "events": ["rejection"],
        "secret_id": "k",
    },
]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Owners:
    def __init__(self, owners: dict[str, str | None]) -> None:
        self.table = owners

    def owners(self, application_ids: Any) -> dict[str, str | None]:
        return {app_id: self.table.get(app_id) for app_id in application_ids}


class World:
    """Receivers answering from ``answers[host]`` (a list of statuses; then 200)."""

    def __init__(self, answers: dict[str, list[int]] | None = None, max_attempts: int = 3) -> None:
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []
        self.clock = Clock()
        self.sleeps: list[float] = []
        self.once_results: dict[str, Any] = {}
        deliverer = WebhookDeliverer(
            httpx.MockTransport(self._answer),
            UrlGuard(resolver=lambda host, port: ["93.184.216.34"]),
            Signer({"k": KEY}),
            retry=RetryPolicy(max_attempts=1),
        )
        self.policy = RetryPolicy(base_s=1.0, cap_s=8.0, max_attempts=max_attempts)
        self.dispatcher = Dispatcher(deliverer, self, self.policy, workers=2, clock=self.clock)
        self.registry = SubscriptionRegistry.from_list(SUBSCRIPTIONS, {"k": KEY})

    def _answer(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        planned = self.answers.get(request.url.host, [])
        return httpx.Response(planned.pop(0) if planned else 200)

    def many_settled(
        self, calls: Sequence[tuple[str, Callable[[], dict[str, Any]]]], *, workers: int = 1
    ) -> list[dict[str, Any] | FailedCall]:
        """``Once.many_settled`` in memory: successes kept, failures in their place."""
        outcomes: list[dict[str, Any] | FailedCall] = []
        for key, fn in calls:
            if key not in self.once_results:
                try:
                    self.once_results[key] = fn()
                except Exception as exc:
                    outcomes.append(FailedCall(exc))
                    continue
            outcomes.append(dict(self.once_results[key]))
        return outcomes

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.sleep(seconds)

    def hosts(self) -> list[str]:
        return [request.url.host for request in self.requests]


@pytest.fixture
def world() -> World:
    return World()


def envelope(topic: TopicSpec[Any], value: EventModel, offset: int = 0) -> Envelope[Any]:
    return event_envelope(topic, value, str(value.application_id), offset)  # type: ignore[attr-defined]


def decision(outcome: str = "approved") -> LoanDecision:
    payload = samples.decision_payload()
    if outcome == "declined":
        payload.update(
            outcome="declined",
            offers=[],
            reasons=[{"code": "DTI_TOO_HIGH", "text": "Your debts are high for your income."}],
        )
    return LoanDecision.model_validate(payload)


def handler_for(world: World, owner: str | None = "acme") -> WebhookHandler:
    app_id = str(samples.APPLICATION_ID)
    return WebhookHandler(world.registry, world.dispatcher, Owners({app_id: owner}))


def test_an_approval_reaches_the_owner_only_and_a_decline_also_the_rejection_feed(
    world: World,
) -> None:
    handle = handler_for(world)
    assert handle([envelope(Topics.DECISIONS, decision("approved"))]) == []
    assert world.hosts() == ["hooks.acme.example"]
    assert handle([envelope(Topics.DECISIONS, decision("declined"), offset=1)]) == []
    assert sorted(world.hosts()[1:]) == ["hooks.acme.example", "rejections.bureau.example"]
    bodies = [orjson.loads(request.content) for request in world.requests]
    # The owner's endpoint wants decisions and status changes: one delivery, as a decision.
    assert [body["kind"] for body in bodies[:1]] == ["decision"]
    assert {body["kind"] for body in bodies[1:]} == {"decision", "rejection"}


def test_each_delivery_is_signed_over_the_body_the_receiver_gets(world: World) -> None:
    handler_for(world)([envelope(Topics.DECISIONS, decision())])
    (request,) = world.requests
    receiver = WebhookReceiver([KEY])
    received = receiver.receive(dict(request.headers), request.content)
    assert received.request.event_id == orjson.loads(request.content)["id"]
    assert not received.duplicate


def test_another_clients_application_reaches_platform_feeds_only(world: World) -> None:
    handle = handler_for(world, owner="globex")
    handle([envelope(Topics.DECISIONS, decision("approved"))])
    handle([envelope(Topics.DECISIONS, decision("declined"), offset=1)])
    assert world.hosts() == ["rejections.bureau.example"]


def test_stage_events_are_status_changes_for_status_subscribers(world: World) -> None:
    handler_for(world)([envelope(Topics.SCORED, samples.scored())])
    (request,) = world.requests
    body = orjson.loads(request.content)
    assert body["kind"] == "status"
    assert body["data"]["status"] == "scored"
    assert body["data"]["application_id"] == str(samples.APPLICATION_ID)


def test_a_replayed_event_is_not_delivered_again(world: World) -> None:
    event = envelope(Topics.DECISIONS, decision())
    handle = handler_for(world)
    handle([event])
    handle([event])
    assert len(world.requests) == 1


def test_a_failed_first_attempt_goes_to_the_retry_topic_with_the_same_body() -> None:
    world = World({"hooks.acme.example": [503]})
    (emit,) = handler_for(world)([envelope(Topics.DECISIONS, decision())])
    assert isinstance(emit, Emit)
    assert emit.topic is Topics.WEBHOOK_RETRIES
    retry = emit.value
    assert isinstance(retry, WebhookRetry)
    assert retry.body.encode() == world.requests[0].content
    assert (retry.attempts, retry.last_status, retry.last_outcome) == (
        1,
        503,
        "retries_exhausted",
    )
    assert START <= retry.next_attempt_at <= START + timedelta(seconds=1)
    assert emit.key == str(samples.APPLICATION_ID)


def owed(world: World, *, attempts: int = 1, due_in_s: float = 2.0) -> Envelope[WebhookRetry]:
    event = envelope(Topics.DECISIONS, decision())
    (emit,) = [
        WebhookRetry(
            subscription_id="acme-decisions",
            event_id=event.event.id,
            kind="decision",
            application_id=samples.APPLICATION_ID,
            body='{"id":"' + event.event.id + '","kind":"decision","data":{}}',
            attempts=attempts,
            first_attempt_at=START,
            next_attempt_at=START + timedelta(seconds=due_in_s),
            last_outcome="retries_exhausted",
            last_status=503,
            last_reason="http 503",
        )
    ]
    return envelope(Topics.WEBHOOK_RETRIES, emit)


def retry_handler(world: World) -> RetryHandler:
    return RetryHandler(world.registry, world.dispatcher, sleep=world.sleep)


def test_the_retry_stage_waits_until_due_then_delivers() -> None:
    world = World()
    assert retry_handler(world)([owed(world, due_in_s=2.0)]) == []
    assert world.sleeps == [2.0]
    assert len(world.requests) == 1


def test_a_failing_retry_is_owed_again_until_the_last_attempt_then_dead_lettered() -> None:
    world = World({"hooks.acme.example": [503, 503]}, max_attempts=3)
    first = owed(world, attempts=1)
    (again,) = retry_handler(world)([first])
    assert isinstance(again, Emit)
    assert isinstance(again.value, WebhookRetry)
    assert again.value.attempts == 2
    assert again.value.first_attempt_at == START
    (dead,) = retry_handler(world)([envelope(Topics.WEBHOOK_RETRIES, again.value, 1)])
    assert isinstance(dead, Reject)
    assert "gave up after 3 attempts" in dead.reason
    assert len(world.requests) == 2


def test_a_refusal_in_the_retry_stage_is_dead_lettered_at_once() -> None:
    world = World({"hooks.acme.example": [410]}, max_attempts=5)
    (dead,) = retry_handler(world)([owed(world)])
    assert isinstance(dead, Reject)
    assert "refused" in dead.reason and "410" in dead.reason


def test_a_delivery_for_a_removed_subscription_is_dead_lettered_unsent(world: World) -> None:
    record = owed(world)
    gone = envelope(
        Topics.WEBHOOK_RETRIES,
        record.value.model_copy(update={"subscription_id": "no-longer-there"}),
    )
    (dead,) = retry_handler(world)([gone])
    assert isinstance(dead, Reject)
    assert world.requests == []


def test_each_attempt_of_a_delivery_has_its_own_duplicate_key(world: World) -> None:
    first = owed(world, attempts=1)
    second = envelope(
        Topics.WEBHOOK_RETRIES, first.value.model_copy(update={"attempts": 2}), offset=1
    )
    assert retry_dedup_key(first) != retry_dedup_key(second)
