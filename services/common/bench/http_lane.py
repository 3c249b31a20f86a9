"""A lean HTTP/1.1 keep-alive connection for load generation: one request in flight at a time.

The load generator shares two cores with the server it measures, so every microsecond it spends
per request is taken from the server. A general client (``httpx``) spent 1.0-1.5 ms of CPU per
request here, as much as the server itself; this lane spends a few tens of microseconds because
it does only what a benchmark against our own API needs: a prebuilt request head, and answers
framed by ``Content-Length`` (the API always sends one). A chunked answer, a malformed head or a
closed connection is reported as a transport error, never silently accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Final, cast

HEAD_END: Final = b"\r\n\r\n"
MAX_HEAD_BYTES: Final = 64 * 1024


class LaneError(Exception):
    """The request got no well-formed answer; ``kind`` names why, for error counts."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def request_head(
    method: str, path: str, host: str, headers: Mapping[str, str], body_length: int | None
) -> bytes:
    """The request line and headers, ready to send; ``Content-Length`` when there is a body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if body_length is not None:
        lines.append(f"Content-Length: {body_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, body length, server closes) of a response head without its blank line."""
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise LaneError("bad_response", "malformed status line")
    length: int | None = None
    closes = False
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding":
            raise LaneError("bad_response", "chunked answers are not supported")
        elif lowered == b"connection" and value.strip().lower() == b"close":
            closes = True
    status = int(parts[1])
    if length is None:
        if status in (204, 304) or 100 <= status < 200:
            length = 0
        else:
            raise LaneError("bad_response", "answer without Content-Length")
    return status, length, closes


class _LaneProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bool]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport; they have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(LaneError("connection_closed", str(exc or "")))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._complete()

    def expect(self, waiter: asyncio.Future[tuple[int, bool]]) -> None:
        self._waiter = waiter

    def _fail(self, error: LaneError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _complete(self) -> None:
        if self._waiter is None:
            return
        end = self._buffer.find(HEAD_END)
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                self._fail(LaneError("bad_response", "response head too large"))
            return
        try:
            status, length, closes = parse_head(bytes(self._buffer[:end]))
        except (LaneError, ValueError) as exc:
            self._fail(exc if isinstance(exc, LaneError) else LaneError("bad_response", str(exc)))
            return
        total = end + len(HEAD_END) + length
        if len(self._buffer) < total:
            return
        del self._buffer[:total]
        waiter, self._waiter = self._waiter, None
        if not waiter.done():
            waiter.set_result((status, closes))


class HttpLane:
    """One connection to ``host:port``; reconnects after the server (or an error) closed it."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self._host = host
        self._port = port
        self._timeout_s = timeout_s
        self._protocol: _LaneProtocol | None = None

    async def _connection(self) -> _LaneProtocol:
        protocol = self._protocol
        if protocol is not None and not protocol.closed:
            return protocol
        loop = asyncio.get_running_loop()
        try:
            _, connected = await asyncio.wait_for(
                loop.create_connection(_LaneProtocol, self._host, self._port), self._timeout_s
            )
        except (OSError, TimeoutError) as exc:
            raise LaneError("connect_error", type(exc).__name__) from exc
        self._protocol = connected
        return connected

    async def request(self, head: bytes, body: bytes | None = None) -> int:
        """Send one prebuilt request and return the answer's status code."""
        protocol = await self._connection()
        assert protocol.transport is not None
        waiter: asyncio.Future[tuple[int, bool]] = asyncio.get_running_loop().create_future()
        protocol.expect(waiter)
        protocol.transport.write(head + body if body else head)
        try:
            status, closes = await asyncio.wait_for(waiter, self._timeout_s)
        except TimeoutError as exc:
            # The late answer would be taken for the next request's: start over.
            self.close()
            raise LaneError("timeout") from exc
        except LaneError:
            self.close()
            raise
        if closes:
            self.close()
        return status

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None
