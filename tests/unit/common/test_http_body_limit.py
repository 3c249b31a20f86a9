"""``RequestBodyLimit``: a body over the limit is refused with 413 before it is buffered."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Message, Scope

from services.common.http.body_limit import RequestBodyLimit
from services.common.http.errors import PROBLEM_JSON, install_error_handlers

LIMIT = 1000
CHUNK = 256


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/limited")
    async def limited(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    @app.post("/unlimited")
    async def unlimited(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    def limit_of(scope: Scope) -> int | None:
        return LIMIT if scope["path"] == "/limited" else None

    app.add_middleware(RequestBodyLimit, limit_of=limit_of)
    return app


def _call(
    path: str, total: int, *, content_length: int | str | None = None
) -> tuple[int, dict[str, str], dict[str, Any], int]:
    """POST ``total`` bytes in chunks; status, headers, JSON body and how many bytes were pulled."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        size = min(CHUNK, total - pulled)
        pulled += size
        return {"type": "http.request", "body": b"x" * size, "more_body": pulled < total}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/octet-stream")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(_app()(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(body), pulled


def test_a_streamed_body_over_the_limit_is_cut_off() -> None:
    status, headers, body, pulled = _call("/limited", 100 * LIMIT)
    assert status == 413
    assert headers["content-type"].startswith(PROBLEM_JSON)
    assert body["status"] == 413 and str(LIMIT) in body["detail"]
    assert pulled <= LIMIT + CHUNK


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    status, _, body, pulled = _call("/limited", 10, content_length=10 * LIMIT)
    assert (status, body["status"], pulled) == (413, 413, 0)


def test_a_body_within_the_limit_passes() -> None:
    status, _, body, _ = _call("/limited", LIMIT, content_length=LIMIT)
    assert (status, body) == (200, {"size": LIMIT})


def test_routes_without_a_limit_are_untouched() -> None:
    status, _, body, _ = _call("/unlimited", 5 * LIMIT, content_length=5 * LIMIT)
    assert (status, body) == (200, {"size": 5 * LIMIT})


def test_a_malformed_declared_length_falls_back_to_counting() -> None:
    status, _, _, pulled = _call("/limited", 3 * LIMIT, content_length="about 3k")
    assert status == 413 and pulled <= LIMIT + CHUNK
