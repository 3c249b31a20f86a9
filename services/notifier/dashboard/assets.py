"""The page's files (package data under ``static/``) and the security headers they go out with.

The page runs no inline script or style and loads nothing from elsewhere, so the policy allows
only this origin's own files; the data it renders comes from ``fetch`` to the same origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)

_MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
PAGE: Final = "index.html"
STATIC_FILES: Final = ("sse.js", "render.js", "dashboard.js", "dashboard.css")
"""Served under ``/static/``; only these names, so no path from a request reaches the disk."""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str


def load_assets() -> dict[str, Asset]:
    """The page's files by name, read once at start-up (a missing file fails start-up)."""
    folder = resources.files("services.notifier.dashboard") / "static"
    assets = {}
    for name in (PAGE, *STATIC_FILES):
        suffix = name[name.rfind(".") :]
        assets[name] = Asset((folder / name).read_bytes(), _MEDIA_TYPES[suffix])
    return assets


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to every HTTP response.

    Pure ASGI rather than ``BaseHTTPMiddleware``, which would sit between the event stream and
    the client and buffer or cancel it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self._app(scope, receive, with_headers)
