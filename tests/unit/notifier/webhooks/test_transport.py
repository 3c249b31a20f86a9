"""The pinned webhook transport: it connects only to checked addresses, checked at connect time,
and a request's total budget ends even a receiver that keeps dripping bytes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence

import httpx
import pytest

from services.notifier.webhooks.ssrf import BlockedUrlError, UrlGuard
from services.notifier.webhooks.transport import PinnedTransport
from services.notifier.webhooks.watchdog import Watchdog, current_deadline, total_deadline
from tests.unit.notifier.webhooks.support import PUBLIC_V4, PUBLIC_V6, FakeDns


class RecordingConnector:
    """Records where the transport connects; never connects."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float | None) -> socket.socket:
        self.connects.append(address)
        raise ConnectionRefusedError("recorded, not connected")


def test_it_connects_to_the_checked_ips_not_the_name() -> None:
    connector = RecordingConnector()
    dns = FakeDns({"hooks.example.com": [PUBLIC_V4, PUBLIC_V6]})
    client = httpx.Client(transport=PinnedTransport(UrlGuard(resolver=dns), connect=connector))
    with client, pytest.raises(httpx.ConnectError):
        client.post("https://hooks.example.com/in", content=b"{}")
    assert connector.connects == [(PUBLIC_V4, 443), (PUBLIC_V6, 443)]


def test_it_checks_again_at_connect_time_so_rebinding_fails() -> None:
    """First answer public (the pre-flight check), second answer loopback (the connect)."""
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> Sequence[str]:
        return next(answers)

    guard = UrlGuard(resolver=rebinding)
    guard.check_url("https://rebind.example.com/")
    connector = RecordingConnector()
    client = httpx.Client(transport=PinnedTransport(guard, connect=connector))
    with client, pytest.raises(BlockedUrlError, match="loopback"):
        client.post("https://rebind.example.com/", content=b"{}")
    assert connector.connects == []


def test_a_loopback_url_is_refused_through_httpx() -> None:
    dns = FakeDns({"localhost": ["127.0.0.1"]})
    client = httpx.Client(transport=PinnedTransport(UrlGuard(resolver=dns, require_https=False)))
    with client, pytest.raises(BlockedUrlError, match="loopback"):
        client.post("http://localhost:9/hook", content=b"{}")
    assert dns.lookups == [("localhost", 9)]


def test_proxy_settings_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    dns = FakeDns({"hooks.example.com": ["10.0.0.5"]})
    client = httpx.Client(transport=PinnedTransport(UrlGuard(resolver=dns)), trust_env=True)
    with client, pytest.raises(BlockedUrlError, match="private"):
        client.get("https://hooks.example.com/")
    assert dns.lookups == [("hooks.example.com", 443)]


def test_other_schemes_are_refused() -> None:
    transport = PinnedTransport(UrlGuard(resolver=FakeDns({})))
    with pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "ftp://files.example.com/x"))


def test_the_watchdog_ends_a_blocked_read_at_the_deadline() -> None:
    ours, theirs = socket.socketpair()
    watchdog = Watchdog()
    outcome: list[bytes] = []
    started = time.monotonic()
    try:
        with watchdog.watching(ours, time.monotonic() + 0.2):
            reader = threading.Thread(target=lambda: outcome.append(ours.recv(10)))
            reader.start()
            reader.join(timeout=10)
    finally:
        ours.close()
        theirs.close()
    assert outcome == [b""]  # the socket was shut down under the blocked recv
    assert time.monotonic() - started < 10


def test_a_finished_block_is_never_shut_down_later() -> None:
    ours, theirs = socket.socketpair()
    watchdog = Watchdog()
    try:
        with watchdog.watching(ours, time.monotonic() + 0.05):
            pass
        time.sleep(0.2)
        theirs.sendall(b"still open")
        assert ours.recv(20) == b"still open"
    finally:
        ours.close()
        theirs.close()


def test_the_deadline_belongs_to_the_block() -> None:
    assert current_deadline() is None
    with total_deadline(5.0):
        deadline = current_deadline()
        assert deadline is not None and deadline > time.monotonic()
    assert current_deadline() is None
