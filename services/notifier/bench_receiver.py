"""A webhook receiver for ``prescreen bench notifier``, run as its own process on 127.0.0.1.

``python -m services.notifier.bench_receiver`` prints ``ready <port>`` and then answers every
``POST`` with 200, noting when each event first arrived at each path (by the application id
inside the body) and how many requests it took. ``GET /stats`` answers those notes as JSON;
``POST /reset`` forgets them. It is an asyncio protocol rather than a framework so that the
receiver costs little of the machine the notifier is measured on; it verifies nothing (the
tests do that).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Arrivals:
    def __init__(self) -> None:
        self.requests = 0
        self.first: dict[str, float] = {}
        self.repeats = 0

    def reset(self) -> None:
        self.requests, self.first, self.repeats = 0, {}, 0

    def note(self, path: str, body: bytes) -> None:
        """Arrivals are keyed ``<path> <application id>``: one per subscription and event."""
        self.requests += 1
        try:
            key = f"{path} {orjson.loads(body)['data']['application_id']}"
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if key in self.first:
            self.repeats += 1
        else:
            self.first[key] = time.time()

    def as_json(self) -> bytes:
        return orjson.dumps(
            {"requests": self.requests, "repeats": self.repeats, "arrivals": self.first}
        )


class _Sink(asyncio.Protocol):
    def __init__(self, arrivals: Arrivals) -> None:
        self._arrivals = arrivals
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._answer_one():
            pass

    def _answer_one(self) -> bool:
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        head = self._buffer[:head_end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        end = head_end + 4 + length
        if len(self._buffer) < end:
            return False
        body = self._buffer[head_end + 4 : end]
        self._buffer = self._buffer[end:]
        assert self._transport is not None
        request_line = head.split("\r\n", 1)[0]
        if request_line.startswith("GET /stats"):
            payload = self._arrivals.as_json()
            self._transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
                + payload
            )
        elif request_line.startswith("POST /reset"):
            self._arrivals.reset()
            self._transport.write(_OK)
        else:
            self._arrivals.note(request_line.split(" ", 2)[1], body)
            self._transport.write(_OK)
        return True


async def serve(port: int = 0) -> None:
    arrivals = Arrivals()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Sink(arrivals), "127.0.0.1", port, backlog=1024)
    bound: Any = server.sockets[0].getsockname()
    sys.stdout.write(f"ready {bound[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve())
