"""A cap on request bodies that holds before anything buffers them.

Starlette's ``Request.body()`` reads the whole stream into memory, and a route (or the
``Idempotency-Key`` dependency, which fingerprints the body) can only compare its length with a
limit afterwards: a client streaming gigabytes would be buffered in full first. This middleware
counts the bytes as the application receives them and refuses the request with ``413`` as soon as
the declared ``Content-Length`` or the bytes actually sent exceed the limit, so at most one chunk
past the limit is ever held.

The refusal is raised from ``receive`` as a ``ProblemError``: it reaches the app's error handlers
like any other, so it is problem+json and, inside an idempotent route, releases the key. A
request whose body is never read (refused by authentication, say) is not affected.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.http.errors import ProblemError

LimitOf = Callable[[Scope], int | None]
"""The body limit in bytes for a request (its ASGI scope), or None for no limit."""


class BodyTooLargeError(ProblemError):
    """The request body exceeds the limit of its route (``413``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")
        self.limit = limit


class RequestBodyLimit:
    """ASGI middleware: ``app.add_middleware(RequestBodyLimit, limit_of=...)``."""

    def __init__(self, app: ASGIApp, *, limit_of: LimitOf) -> None:
        self._app = app
        self._limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit_of(scope) if scope["type"] == "http" else None
        if limit is None:
            await self._app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise BodyTooLargeError(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self._app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length; count what arrives
    return None
