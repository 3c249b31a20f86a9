"""The webhook HTTP transport: guarded, pinned to the checked address, keep-alive, lean.

An ``httpx`` transport (the deliverer keeps httpx's request and response types) that sends over
the standard library's ``http.client``, which costs a fraction of httpx's own connection stack
per request; at a thousand deliveries a second that difference is most of a CPU core.

* **Pinned.** A new connection resolves and checks the host with the ``UrlGuard`` *at connect
  time* and connects to a checked address itself, so no second DNS answer can slip in between
  check and connect (DNS rebinding). TLS still verifies the certificate against the URL's host
  name and sends it as SNI, and the ``Host`` header is the request's own.
* **Bounded.** Connect, read and write each have their timeout, and a watchdog shuts a socket
  down when the request's total budget (``total_deadline``) is spent, so a receiver dripping a
  byte at a time cannot hold a delivery thread past it.
* **Keep-alive.** Idle connections are kept per origin for ``keepalive_s``. A request on a kept
  connection that the receiver had already closed, failing before any answer, is sent once
  more on a new connection — as other HTTP clients do; the event id lets receivers drop the
  rare repeat.
* No proxies, no environment settings, no redirects, HTTP/1.1 only.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

from services.notifier.webhooks.ssrf import DEFAULT_PORTS, UnresolvableHostError, UrlGuard
from services.notifier.webhooks.watchdog import Watchdog, current_deadline

Connector = Callable[[tuple[str, int], float | None], socket.socket]
"""Opens a TCP connection to ``(ip, port)`` within a timeout (``socket.create_connection``)."""

_STALE: Final = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
Origin = tuple[str, str, int]


def _create_connection(address: tuple[str, int], timeout: float | None) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


class _Connection:
    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.idle_since = time.monotonic()

    @property
    def sock(self) -> socket.socket:
        sock = self.conn.sock
        assert isinstance(sock, socket.socket)
        return sock

    def close(self) -> None:
        self.conn.close()


class PinnedTransport(httpx.BaseTransport):
    def __init__(
        self,
        guard: UrlGuard,
        *,
        verify: ssl.SSLContext | bool = True,
        keepalive_s: float = 4.0,
        max_idle_per_origin: int = 64,
        max_response_bytes: int = 64 * 1024,
        connect: Connector = _create_connection,
        watchdog: Watchdog | None = None,
    ) -> None:
        self._guard = guard
        if isinstance(verify, ssl.SSLContext):
            self._tls = verify
        else:
            self._tls = ssl.create_default_context()
            if not verify:
                self._tls.check_hostname = False
                self._tls.verify_mode = ssl.CERT_NONE
        self._keepalive_s = keepalive_s
        self._max_idle = max_idle_per_origin
        self._max_response_bytes = max_response_bytes
        self._connect = connect
        self._watchdog = watchdog or Watchdog.shared()
        self._idle: dict[Origin, list[_Connection]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"scheme {scheme!r} is not supported")
        origin: Origin = (scheme, url.raw_host.decode("ascii"), url.port or DEFAULT_PORTS[scheme])
        timeouts = request.extensions.get("timeout", {})
        body = request.read()
        target = url.raw_path.decode("ascii")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        exchange = _Exchange(request.method, target, headers, body, timeouts)
        kept = self._checkout(origin)
        if kept is not None:
            try:
                return self._exchange(kept, origin, request, exchange, reused=True)
            except _StaleConnectionError:
                pass  # the receiver had closed it while idle: nothing was answered
        fresh = self._open(origin, timeouts.get("connect"))
        return self._exchange(fresh, origin, request, exchange, reused=False)

    # ----------------------------------------------------------------- connections

    def _checkout(self, origin: Origin) -> _Connection | None:
        now = time.monotonic()
        with self._lock:
            pool = self._idle.get(origin)
            while pool:
                connection = pool.pop()
                if now - connection.idle_since < self._keepalive_s:
                    return connection
                connection.close()
        return None

    def _checkin(self, origin: Origin, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        with self._lock:
            pool = self._idle.setdefault(origin, [])
            if len(pool) < self._max_idle:
                pool.append(connection)
                return
        connection.close()

    def _open(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        scheme, host, port = origin
        addresses = self._guard.resolve(host, port)  # checked now, connected to below
        last_error: OSError | None = None
        for address in addresses:
            budget = _within_deadline(connect_timeout, httpx.ConnectTimeout)
            try:
                sock = self._connect((str(address), port), budget)
            except TimeoutError as exc:
                last_error = exc
                continue
            except OSError as exc:
                last_error = exc
                continue
            return self._wrap(sock, scheme, host, port)
        if last_error is None:
            raise UnresolvableHostError(f"host {host!r} has no addresses")
        if isinstance(last_error, TimeoutError):
            raise httpx.ConnectTimeout(f"connect to {host!r} timed out") from last_error
        raise httpx.ConnectError(f"connect to {host!r} failed: {last_error}") from last_error

    def _wrap(self, sock: socket.socket, scheme: str, host: str, port: int) -> _Connection:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            try:
                with self._watchdog.watching(sock, current_deadline()):
                    sock = self._tls.wrap_socket(sock, server_hostname=host.strip("[]"))
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise httpx.ConnectError(f"TLS with {host!r} failed: {exc}") from exc
        conn = http.client.HTTPConnection(host.strip("[]"), port)
        conn.sock = sock  # already connected, to the checked address
        return _Connection(conn)

    # ----------------------------------------------------------------- one exchange

    def _exchange(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        exchange: _Exchange,
        *,
        reused: bool,
    ) -> httpx.Response:
        conn = connection.conn
        sock = connection.sock
        answered = False
        try:
            with self._watchdog.watching(sock, current_deadline()):
                sock.settimeout(
                    _within_deadline(exchange.timeouts.get("write"), httpx.WriteTimeout)
                )
                conn.putrequest(
                    exchange.method, exchange.target, skip_host=True, skip_accept_encoding=True
                )
                for name, value in exchange.headers:
                    conn.putheader(name, value)
                conn.endheaders(exchange.body)
                sock.settimeout(_within_deadline(exchange.timeouts.get("read"), httpx.ReadTimeout))
                response = conn.getresponse()
                answered = True
                content = response.read(self._max_response_bytes)
        except _STALE as exc:
            connection.close()
            if reused and not answered:
                raise _StaleConnectionError() from exc
            raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout("timed out") from exc
        except (http.client.HTTPException, OSError) as exc:
            connection.close()
            if _deadline_passed():
                raise httpx.ReadTimeout("total time budget of the request is spent") from exc
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
        if response.isclosed() and not response.will_close:
            self._checkin(origin, connection)
        else:
            connection.close()  # unread rest of a large answer, or the receiver wants it closed
        return httpx.Response(
            response.status, headers=response.getheaders(), content=content, request=request
        )


@dataclass(frozen=True)
class _Exchange:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    timeouts: dict[str, float | None]


class _StaleConnectionError(Exception):
    """A kept connection failed before any answer: the receiver had closed it."""


def _within_deadline(timeout: float | None, error: type[httpx.TimeoutException]) -> float | None:
    deadline = current_deadline()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("total time budget of the request is spent")
    return remaining if timeout is None else min(timeout, remaining)


def _deadline_passed() -> bool:
    deadline = current_deadline()
    return deadline is not None and time.monotonic() >= deadline
