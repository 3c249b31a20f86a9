"""Webhook delivery against a real HTTP(S) receiver on 127.0.0.1, over real sockets.

The receiver runs in a thread of the test; 127.0.0.1 is allow-listed explicitly where a test
wants to reach it. Sleeps between attempts are recorded, never waited for.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from services.common.idempotency import Once
from services.common.testing.certificates import self_signed
from services.notifier.webhooks.delivery import (
    DeliveryOutcome,
    WebhookDeliverer,
    deliver_once,
    webhook_body,
)
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.signing import EVENT_ID_HEADER, WebhookReceiver
from services.notifier.webhooks.ssrf import AllowList
from services.notifier.webhooks.subscriptions import Subscription
from tests.integration.notifier.receiver import LocalReceiver

KEY = "integration-signing-key-" + "q" * 24
HOSTNAME = "hooks.example.test"
BODY = webhook_body("evt-7", "decision", {"application_id": "app-1", "outcome": "approved"})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def settings(*, allow: Sequence[str] = ("127.0.0.1",), **values: Any) -> WebhookSettings:
    return WebhookSettings(
        secrets={"k": SecretStr(KEY)},
        allow_hosts=tuple(allow),
        **values,
    )


def subscription(url: str, allow: Sequence[str] = ("127.0.0.1",)) -> Subscription:
    return Subscription.model_validate(
        {
            "id": "acme-hook",
            "client_id": "acme",
            "url": url,
            "events": ["decision"],
            "secret_id": "k",
        },
        context={"allow_list": AllowList.parse(allow)},
    )


def deliverer(
    sleeps: Sleeps,
    *,
    allow: Sequence[str] = ("127.0.0.1",),
    resolver: Callable[[str, int], Sequence[str]] | None = None,
    verify: ssl.SSLContext | bool = True,
    **values: Any,
) -> WebhookDeliverer:
    extra: dict[str, Any] = {} if resolver is None else {"resolver": resolver}
    return WebhookDeliverer.from_settings(
        settings(allow=allow, **values), sleep=sleeps, verify=verify, **extra
    )


def test_a_delivery_arrives_once_with_a_valid_signature(receiver: LocalReceiver) -> None:
    sleeps = Sleeps()
    with deliverer(sleeps) as webhooks:
        result = webhooks.deliver(
            subscription(f"http://127.0.0.1:{receiver.port}/hook"), "evt-7", BODY
        )
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert (result.attempts, result.status_code) == (1, 200)
    assert receiver.paths() == ["/hook"]
    [seen] = receiver.seen
    assert seen.body == BODY
    verified = WebhookReceiver([SecretStr(KEY)]).receive(seen.headers, seen.body)
    assert verified.request.event_id == "evt-7"
    assert not verified.duplicate
    assert sleeps == []


def test_500_then_200_succeeds_on_retry(receiver: LocalReceiver) -> None:
    receiver.plan["/hook"] = [(500, {})]
    sleeps = Sleeps()
    with deliverer(sleeps, backoff_base_s=0.5, backoff_cap_s=4.0) as webhooks:
        result = webhooks.deliver(
            subscription(f"http://127.0.0.1:{receiver.port}/hook"), "evt-7", BODY
        )
    assert result.outcome is DeliveryOutcome.DELIVERED
    assert (result.attempts, result.status_code) == (2, 200)
    assert receiver.paths() == ["/hook", "/hook"]
    assert {seen.headers[EVENT_ID_HEADER] for seen in receiver.seen} == {"evt-7"}
    checker = WebhookReceiver([SecretStr(KEY)])
    assert [checker.receive(s.headers, s.body).duplicate for s in receiver.seen] == [False, True]
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 0.5


def test_410_is_permanent(receiver: LocalReceiver) -> None:
    receiver.plan["/gone"] = [(410, {}), (410, {}), (410, {})]
    sleeps = Sleeps()
    with deliverer(sleeps) as webhooks:
        result = webhooks.deliver(
            subscription(f"http://127.0.0.1:{receiver.port}/gone"), "evt-7", BODY
        )
    assert result.outcome is DeliveryOutcome.REJECTED
    assert (result.attempts, result.status_code) == (1, 410)
    assert receiver.paths() == ["/gone"]
    assert sleeps == []


def test_a_redirect_is_not_followed(receiver: LocalReceiver) -> None:
    target = f"http://127.0.0.1:{receiver.port}/elsewhere"
    receiver.plan["/moved"] = [(307, {"Location": target})]
    sleeps = Sleeps()
    with deliverer(sleeps) as webhooks:
        result = webhooks.deliver(
            subscription(f"http://127.0.0.1:{receiver.port}/moved"), "evt-7", BODY
        )
    assert result.outcome is DeliveryOutcome.REJECTED
    assert result.status_code == 307
    assert "redirect" in result.reason
    assert receiver.paths() == ["/moved"]


def test_without_the_allow_list_loopback_is_refused_before_any_connection(
    receiver: LocalReceiver,
) -> None:
    sleeps = Sleeps()
    url = f"http://127.0.0.1:{receiver.port}/hook"
    variants: list[dict[str, Any]] = [{}, {"require_https": False}]
    for options in variants:
        with deliverer(sleeps, allow=(), **options) as webhooks:
            result = webhooks.deliver(subscription(url), "evt-7", BODY)
        assert result.outcome is DeliveryOutcome.BLOCKED
        assert result.attempts == 1
    assert "loopback" in result.reason  # with https not required, the address is what stops it
    assert receiver.connections == 0
    assert receiver.seen == []


def test_a_host_name_is_pinned_to_the_checked_address_and_keeps_its_host_header(
    receiver: LocalReceiver,
) -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    sleeps = Sleeps()
    url = f"http://{HOSTNAME}:{receiver.port}/hook"
    # Only the address is allow-listed: the name is accepted because it resolves to it.
    with deliverer(sleeps, resolver=resolver, require_https=False) as webhooks:
        result = webhooks.deliver(subscription(url, allow=(HOSTNAME,)), "evt-7", BODY)
    assert result.delivered
    assert receiver.seen[0].headers["Host"] == f"{HOSTNAME}:{receiver.port}"
    assert lookups == [HOSTNAME, HOSTNAME]  # the pre-flight check, then the connect


def test_dns_rebinding_between_check_and_connect_is_refused(receiver: LocalReceiver) -> None:
    """The check sees a public address; the connect would get loopback. Nothing connects."""
    calls = 0

    def rebinding(host: str, port: int) -> Sequence[str]:
        nonlocal calls
        calls += 1
        return ["93.184.216.34"] if calls % 2 else ["127.0.0.1"]

    sleeps = Sleeps()
    url = f"https://rebind.example.com:{receiver.port}/hook"
    with deliverer(sleeps, allow=(), resolver=rebinding) as webhooks:
        result = webhooks.deliver(subscription(url, allow=()), "evt-7", BODY)
    assert result.outcome is DeliveryOutcome.BLOCKED
    assert result.attempts == 1  # stopped by the connect-time check, not a later pre-flight
    assert "loopback" in result.reason
    assert calls == 2
    assert receiver.connections == 0


def test_the_total_budget_cuts_a_dripping_receiver(receiver: LocalReceiver) -> None:
    sleeps = Sleeps()
    with deliverer(sleeps, max_attempts=1, connect_timeout_s=0.5, total_timeout_s=0.5) as webhooks:
        result = webhooks.deliver(
            subscription(f"http://127.0.0.1:{receiver.port}/drip"), "evt-7", BODY
        )
    # Each byte comes well within the per-read timeout; only the total budget can stop it.
    assert result.outcome is DeliveryOutcome.RETRIES_EXHAUSTED
    assert result.status_code is None
    assert result.reason == "ReadTimeout"


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[LocalReceiver, ssl.SSLContext]]:
    cert, key = self_signed(tmp_path, HOSTNAME)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    server = LocalReceiver(tls=server_context)
    try:
        yield server, client_context
    finally:
        server.close()


def test_https_is_pinned_yet_verified_against_the_host_name(
    tls_receiver: tuple[LocalReceiver, ssl.SSLContext],
) -> None:
    receiver, trust = tls_receiver
    sleeps = Sleeps()
    url = f"https://{HOSTNAME}:{receiver.port}/hook"
    with deliverer(sleeps, resolver=lambda host, port: ["127.0.0.1"], verify=trust) as webhooks:
        result = webhooks.deliver(subscription(url), "evt-7", BODY)
    assert result.delivered
    assert receiver.sni == [HOSTNAME]
    assert receiver.seen[0].headers["Host"] == f"{HOSTNAME}:{receiver.port}"


def test_https_to_a_name_the_certificate_does_not_cover_fails(
    tls_receiver: tuple[LocalReceiver, ssl.SSLContext],
) -> None:
    receiver, trust = tls_receiver
    sleeps = Sleeps()
    url = f"https://other.example.test:{receiver.port}/hook"
    with deliverer(
        sleeps, resolver=lambda host, port: ["127.0.0.1"], verify=trust, max_attempts=2
    ) as webhooks:
        result = webhooks.deliver(subscription(url), "evt-7", BODY)
    assert not result.delivered
    assert result.status_code is None
    assert receiver.seen == []


def test_once_delivers_each_event_once_across_replays(
    receiver: LocalReceiver, redis_client: redis.Redis
) -> None:
    once = Once(redis_client, prefix="t-webhooks", lease_s=30)
    sleeps = Sleeps()
    sub = subscription(f"http://127.0.0.1:{receiver.port}/hook")
    with deliverer(sleeps) as webhooks:
        first = deliver_once(once, webhooks, sub, "evt-7", BODY)
        replay = deliver_once(once, webhooks, sub, "evt-7", BODY)
        other = deliver_once(once, webhooks, sub, "evt-8", BODY.replace(b"evt-7", b"evt-8"))
    assert first == replay
    assert first.delivered and other.delivered
    assert [s.headers[EVENT_ID_HEADER] for s in receiver.seen] == ["evt-7", "evt-8"]


def test_the_receiver_helper_refuses_a_request_signed_with_another_key(
    receiver: LocalReceiver,
) -> None:
    sleeps = Sleeps()
    with deliverer(sleeps) as webhooks:
        webhooks.deliver(subscription(f"http://127.0.0.1:{receiver.port}/hook"), "evt-7", BODY)
    from services.notifier.webhooks.signing import SignatureError

    with pytest.raises(SignatureError):
        WebhookReceiver([SecretStr("x" * 40)]).receive(receiver.seen[0].headers, BODY)
    later = time.time() + 3600
    with pytest.raises(SignatureError, match="too old"):
        WebhookReceiver([SecretStr(KEY)], clock=lambda: later).receive(
            receiver.seen[0].headers, BODY
        )


def test_nothing_listens_means_retry_then_give_up() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    with deliverer(sleeps, max_attempts=3) as webhooks:
        result = webhooks.deliver(subscription(f"http://127.0.0.1:{port}/hook"), "evt-7", BODY)
    assert result.outcome is DeliveryOutcome.RETRIES_EXHAUSTED
    assert result.attempts == 3
    assert result.reason == "ConnectError"
    assert len(sleeps) == 2
