"""A small HTTP/1.1 peer on loopback for the load generator's tests: it records each request
and answers from a table, so the tests see exactly what went over the wire."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[SeenRequest], bytes]


def json_answer(status: int, body: bytes = b"{}", *, close: bool = False) -> bytes:
    extra = "Connection: close\r\n" if close else ""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def by_path(statuses: dict[str, int]) -> Answer:
    """Answer each path with its status from ``statuses``, 404 for any other."""
    return lambda request: json_answer(statuses.get(request.path, 404))


@dataclass
class HttpPeer:
    answer: Answer
    seen: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ")
                headers = {}
                for line in lines:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = SeenRequest(method, path, headers, body)
                self.seen.append(request)
                reply = self.answer(request)
                if not reply:
                    continue  # leave this request unanswered
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply.split(b"\r\n\r\n", 1)[0]:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def http_peer(answer: Answer) -> AsyncIterator[HttpPeer]:
    peer = HttpPeer(answer)
    server = await asyncio.start_server(peer._serve, "127.0.0.1", 0)
    peer.port = server.sockets[0].getsockname()[1]
    async with server:
        yield peer
