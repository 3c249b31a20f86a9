"""WebhookDeliverer against an in-process transport: signing, retries, refusals, caps, logs."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import orjson
import pytest
from pydantic import BaseModel, SecretStr

from services.common.errors import PermanentError, TransientError
from services.notifier.webhooks.delivery import (
    DeliveryOutcome,
    DeliveryResult,
    WebhookDeliverer,
    WebhookRejectedError,
    WebhookRetryLaterError,
    deliver_once,
    once_key,
    webhook_body,
)
from services.notifier.webhooks.retry import RetryPolicy
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.signing import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    Signer,
    WebhookReceiver,
)
from services.notifier.webhooks.ssrf import UrlGuard
from services.notifier.webhooks.subscriptions import Subscription
from services.notifier.webhooks.transport import PinnedTransport

KEY = SecretStr("webhook-signing-key-" + "z" * 24)
NEXT_KEY = SecretStr("webhook-signing-key-next-" + "y" * 24)
NOW = 1_750_000_000.0
URL = "https://hooks.acme.example/prescreen/inbox"
BODY = webhook_body("evt-42", "decision", {"outcome": "declined", "ssn_last4": "6789"})
PUBLIC_DNS = {"hooks.acme.example": ["93.184.216.34"]}

Handler = Callable[[httpx.Request], httpx.Response]


def subscription(**overrides: Any) -> Subscription:
    values: dict[str, Any] = {
        "id": "acme-decisions",
        "client_id": "acme",
        "url": URL,
        "events": ["decision"],
        "secret_id": "acme",
    }
    values.update(overrides)
    return Subscription.model_validate(values)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A deliverer whose network is ``handler``, whose sleeps are recorded and clock is fake."""

    def __init__(
        self,
        handler: Handler,
        *,
        dns: dict[str, Sequence[str]] | None = None,
        max_attempts: int = 3,
        random_: Callable[[], float] | None = None,
        max_response_bytes: int = 64 * 1024,
    ) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.clock = FakeClock()

        def record(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            request.read()
            self.clock.now += 0.25  # each call "takes" a quarter second
            return handler(request)

        resolved = PUBLIC_DNS if dns is None else dns

        def resolver(host: str, port: int) -> Sequence[str]:
            if host not in resolved:
                raise OSError("no such host")
            return resolved[host]

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.now += seconds

        self.transport = httpx.MockTransport(record)
        self.deliverer = WebhookDeliverer(
            self.transport,
            UrlGuard(resolver=resolver),
            Signer({"acme": KEY, "next": NEXT_KEY}, clock=lambda: NOW),
            retry=RetryPolicy(
                base_s=1.0,
                cap_s=30.0,
                max_attempts=max_attempts,
                random=random_ or random.Random(11).random,
            ),
            max_response_bytes=max_response_bytes,
            sleep=sleep,
            clock=self.clock,
            wall_clock=lambda: NOW,
        )

    def deliver(self, sub: Subscription | None = None, event_id: str = "evt-42") -> DeliveryResult:
        return self.deliverer.deliver(sub or subscription(), event_id, BODY)


def answers(*responses: httpx.Response | Exception) -> Handler:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def test_a_2xx_is_delivered_once_with_a_valid_signature() -> None:
    harness = Harness(answers(httpx.Response(204)))
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert (result.attempts, result.status_code) == (1, 204)
    assert result.duration_s == pytest.approx(0.25)
    [request] = harness.requests
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.content == BODY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "prescreen-notifier/1"
    assert request.headers[DELIVERY_ID_HEADER] == result.delivery_id
    received = WebhookReceiver([KEY], clock=lambda: NOW).receive(dict(request.headers), BODY)
    assert received.request.event_id == "evt-42"
    assert not received.duplicate


def test_rotation_signs_with_every_key_of_the_subscription() -> None:
    harness = Harness(answers(httpx.Response(200)))
    harness.deliver(subscription(additional_secret_ids=["next"]))
    headers = dict(harness.requests[0].headers)
    for key in (KEY, NEXT_KEY):
        assert WebhookReceiver([key], clock=lambda: NOW).receive(headers, BODY).request


def test_500_then_200_is_delivered_on_the_second_attempt() -> None:
    harness = Harness(answers(httpx.Response(500), httpx.Response(200)))
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert (result.attempts, result.status_code) == (2, 200)
    assert len(harness.requests) == 2
    assert len(harness.sleeps) == 1
    assert 0.0 <= harness.sleeps[0] <= 1.0
    event_ids = {r.headers[EVENT_ID_HEADER] for r in harness.requests}
    delivery_ids = {r.headers[DELIVERY_ID_HEADER] for r in harness.requests}
    assert event_ids == {"evt-42"}
    assert len(delivery_ids) == 2
    assert result.duration_s == pytest.approx(0.5 + harness.sleeps[0])


def test_transient_failures_exhaust_the_attempts_with_jittered_backoff() -> None:
    harness = Harness(
        answers(httpx.Response(503), httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                httpx.Response(502)),
        max_attempts=4,
    )  # fmt: skip
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.RETRIES_EXHAUSTED
    assert (result.attempts, result.status_code) == (4, 502)
    assert len(harness.sleeps) == 3
    for attempt, slept in enumerate(harness.sleeps, start=1):
        assert 0.0 <= slept <= 2.0 ** (attempt - 1)
    with pytest.raises(WebhookRetryLaterError) as caught:
        result.raise_for_outcome()
    assert isinstance(caught.value, TransientError)


def test_a_timeout_is_retried() -> None:
    harness = Harness(answers(httpx.ConnectTimeout("slow"), httpx.Response(200)))
    result = harness.deliver()
    assert (result.outcome, result.attempts, result.status_code) == (
        DeliveryOutcome.DELIVERED,
        2,
        200,
    )


def test_retry_after_is_respected() -> None:
    harness = Harness(
        answers(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)),
        random_=lambda: 0.0,
    )
    assert harness.deliver().delivered
    assert harness.sleeps == [7.0]


def test_retry_after_beyond_the_cap_waits_the_cap() -> None:
    harness = Harness(
        answers(httpx.Response(503, headers={"Retry-After": "86400"}), httpx.Response(200)),
        random_=lambda: 0.0,
    )
    assert harness.deliver().delivered
    assert harness.sleeps == [30.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_4xx_are_permanent_at_once(status: int) -> None:
    harness = Harness(answers(httpx.Response(status)))
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.REJECTED
    assert (result.attempts, result.status_code) == (1, status)
    assert harness.sleeps == []
    with pytest.raises(WebhookRejectedError) as caught:
        result.raise_for_outcome()
    assert isinstance(caught.value, PermanentError)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed_even_by_a_following_client(status: int) -> None:
    redirect = httpx.Response(status, headers={"Location": "http://169.254.169.254/latest"})
    harness = Harness(answers(redirect))
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.REJECTED
    assert "redirect" in result.reason
    assert len(harness.requests) == 1


def test_a_url_resolving_to_a_private_address_is_blocked_before_sending() -> None:
    harness = Harness(answers(), dns={"hooks.acme.example": ["10.0.0.3"]})
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.BLOCKED
    assert (result.attempts, result.status_code) == (1, None)
    assert "private" in result.reason
    assert "prescreen/inbox" not in result.reason
    assert harness.requests == []
    with pytest.raises(WebhookRejectedError):
        result.raise_for_outcome()


def test_an_unresolvable_host_is_retried_then_given_up() -> None:
    harness = Harness(answers(), dns={})
    result = harness.deliver()
    assert result.outcome is DeliveryOutcome.RETRIES_EXHAUSTED
    assert result.attempts == 3
    assert harness.requests == []


class Endless(httpx.SyncByteStream):
    """A 10 MiB body in 4 KiB chunks that counts what was pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(2560):
            self.pulled += 4096
            yield b"x" * 4096


@pytest.mark.parametrize("cap", [0, 4096, 64 * 1024])
def test_the_response_body_read_is_capped(cap: int) -> None:
    stream = Endless()
    harness = Harness(lambda request: httpx.Response(200, stream=stream), max_response_bytes=cap)
    assert harness.deliver().delivered
    assert stream.pulled <= cap + 4096


def test_a_body_cut_short_after_a_2xx_still_counts_as_delivered() -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"ok"
            raise httpx.ReadError("connection reset")

    harness = Harness(lambda request: httpx.Response(200, stream=Broken()))
    result = harness.deliver()
    assert (result.outcome, result.attempts) == (DeliveryOutcome.DELIVERED, 1)


def test_logs_carry_ids_and_status_but_never_body_url_or_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    response_body = b'{"error": "receiver-secret-detail"}'
    harness = Harness(answers(httpx.Response(500, content=response_body), httpx.Response(200)))
    harness.deliver()
    records = [r for r in caplog.records if r.name.startswith("services.notifier")]
    assert [getattr(r, "attempt", None) for r in records] == [1, 2, 2]
    assert [getattr(r, "status", None) for r in records] == [500, 200, 200]
    assert {getattr(r, "subscription_id", None) for r in records} == {"acme-decisions"}
    assert {getattr(r, "event_id", None) for r in records} == {"evt-42"}
    dumped = " ".join(repr(vars(r)) for r in records)
    for secret in ("6789", "receiver-secret-detail", "prescreen/inbox", KEY.get_secret_value()):
        assert secret not in dumped


def test_inactive_subscriptions_and_odd_event_ids_are_programming_errors() -> None:
    harness = Harness(answers())
    with pytest.raises(ValueError, match="inactive"):
        harness.deliver(subscription(active=False))
    with pytest.raises(ValueError, match="event ids"):
        harness.deliver(event_id="evt\r\nX-Injected: 1")
    assert harness.requests == []


def test_result_round_trips_through_json() -> None:
    result = Harness(answers(httpx.Response(200))).deliver()
    stored = orjson.loads(orjson.dumps(result.to_dict()))
    assert stored["outcome"] == "delivered"
    assert DeliveryResult.from_dict(stored) == result


def test_once_keys_are_unambiguous() -> None:
    assert once_key("a:b", "c") != once_key("a", "b:c")
    assert once_key("acme-decisions", "evt-42") == "webhook:acme-decisions:evt-42"


class FakeOnce:
    """``Once`` semantics without Redis: a stored result is returned; a failure stores nothing."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def __call__(self, key: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if key not in self.stored:
            self.stored[key] = orjson.loads(orjson.dumps(fn()))
        return self.stored[key]


def test_deliver_once_calls_the_endpoint_once_per_event() -> None:
    harness = Harness(answers(httpx.Response(200)))
    once = FakeOnce()
    first = deliver_once(once, harness.deliverer, subscription(), "evt-42", BODY)
    replay = deliver_once(once, harness.deliverer, subscription(), "evt-42", BODY)
    assert first == replay
    assert first.delivered
    assert len(harness.requests) == 1
    assert list(once.stored) == [once_key("acme-decisions", "evt-42")]


def test_deliver_once_stores_nothing_when_the_delivery_failed() -> None:
    harness = Harness(answers(httpx.Response(410), httpx.Response(200)))
    once = FakeOnce()
    with pytest.raises(WebhookRejectedError):
        deliver_once(once, harness.deliverer, subscription(), "evt-42", BODY)
    assert once.stored == {}
    assert deliver_once(once, harness.deliverer, subscription(), "evt-42", BODY).delivered


def test_max_duration_bounds_the_once_lease() -> None:
    harness = Harness(answers())
    assert harness.deliverer.max_duration_s() == 3 * 5.0 + 2 * 30.0


def test_webhook_body_wraps_a_model_with_the_event_id() -> None:
    class Decision(BaseModel):
        outcome: str

    envelope = orjson.loads(webhook_body("evt-1", "rejection", Decision(outcome="declined")))
    assert envelope == {"id": "evt-1", "kind": "rejection", "data": {"outcome": "declined"}}


def test_from_settings_builds_a_guarded_client_it_owns() -> None:
    settings = WebhookSettings(
        secrets={"acme": KEY},
        max_attempts=1,
    )
    with WebhookDeliverer.from_settings(
        settings, resolver=lambda host, port: ["127.0.0.1"]
    ) as deliverer:
        assert isinstance(deliverer._transport, PinnedTransport)
        result = deliverer.deliver(subscription(), "evt-1", BODY)
    assert result.outcome is DeliveryOutcome.BLOCKED
    assert "loopback" in result.reason


@pytest.mark.parametrize(
    "kwargs",
    [{"connect_timeout_s": 0.0}, {"connect_timeout_s": 6.0}, {"max_response_bytes": -1}],
)
def test_bad_limits_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WebhookDeliverer(
            httpx.MockTransport(lambda r: httpx.Response(200)), UrlGuard(), Signer({}), **kwargs
        )
