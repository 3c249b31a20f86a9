"""The dashboard's FastAPI application: the page, the event stream, the summary and probes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse, Response

from services.common.contracts.decision import LoanDecision
from services.common.health import Check
from services.common.http.auth import Authenticator, Principal, install_auth, require_scopes
from services.common.http.errors import (
    SERVICE_UNAVAILABLE,
    ProblemError,
    install_error_handlers,
    problem_responses,
)
from services.notifier.dashboard.assets import PAGE, SecurityHeaders, load_assets
from services.notifier.dashboard.feed import DecisionFeed
from services.notifier.dashboard.hub import DashboardHub
from services.notifier.dashboard.models import Snapshot
from services.notifier.dashboard.settings import SCOPE_DECISIONS_READ, DashboardSettings
from services.notifier.dashboard.stream import EventStreamResponse, decision_events

# How long the Kafka thread waits for the event loop to take a batch before giving up.
_HANDOVER_TIMEOUT_S: Final = 30.0
_NO_STORE: Final = {"Cache-Control": "no-store"}

Reader = Annotated[Principal, Depends(require_scopes(SCOPE_DECISIONS_READ))]


@dataclass(frozen=True, slots=True)
class DashboardParts:
    settings: DashboardSettings
    hub: DashboardHub
    feed: DecisionFeed | None
    """None runs the app without Kafka (unit tests feed the hub directly)."""


def create_app(parts: DashboardParts, *, authenticator: Authenticator) -> FastAPI:
    settings, hub, feed = parts.settings, parts.hub, parts.feed
    assets = load_assets()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if feed is not None:
            loop = asyncio.get_running_loop()

            async def take(batch: Sequence[LoanDecision]) -> None:
                hub.ingest(batch)

            def sink(batch: Sequence[LoanDecision]) -> None:
                # Blocking until the loop took the batch keeps the reader from running ahead.
                asyncio.run_coroutine_threadsafe(take(batch), loop).result(_HANDOVER_TIMEOUT_S)

            feed.start(sink)
        try:
            yield
        finally:
            if feed is not None:
                # Off the loop: the reader may be waiting for the loop to take its last batch.
                await asyncio.to_thread(feed.stop)

    app = FastAPI(
        title="loan-prescreen decision dashboard",
        version="1",
        description=(
            f"Live figures of the decisions of the last {settings.window_minutes} minutes. "
            f"The stream and the summary need the {SCOPE_DECISIONS_READ} scope."
        ),
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_auth(app, authenticator)
    app.add_middleware(SecurityHeaders)

    def asset(name: str) -> Response:
        item = assets.get(name)
        if item is None or name == PAGE:
            raise ProblemError(404)
        return Response(item.body, media_type=item.media_type, headers=_NO_STORE)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        item = assets[PAGE]
        return Response(item.body, media_type=item.media_type, headers=_NO_STORE)

    @app.get("/static/{name}", include_in_schema=False)
    async def static_file(name: str) -> Response:
        return asset(name)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get(
        "/v1/decisions/summary",
        response_model=Snapshot,
        responses=problem_responses(401, 403),
        summary="The aggregate of the window, as the stream's snapshot event carries it.",
    )
    async def summary(_reader: Reader) -> Response:
        return Response(hub.snapshot_json(), media_type="application/json", headers=_NO_STORE)

    @app.get(
        "/v1/decisions/stream",
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."},
            **problem_responses(401, 403, 503),
        },
        summary="Server-sent events: a snapshot, then decisions and snapshots as they come.",
    )
    async def stream(_reader: Reader) -> Response:
        subscription = hub.subscribe()
        if subscription is None:
            raise ProblemError(
                503,
                f"at most {settings.max_streams} streams may be open",
                title="Too many streams",
                type_=SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        return EventStreamResponse(
            decision_events(
                hub,
                subscription,
                keepalive_s=settings.keepalive_s,
                snapshot_interval_s=settings.snapshot_interval_s,
            ),
            on_close=lambda: hub.unsubscribe(subscription),
        )

    def probe(check: Check) -> PlainTextResponse:
        ok, detail = check()
        text = f"{'ok' if ok else 'unavailable'}: {detail}\n"
        return PlainTextResponse(text, status_code=200 if ok else 503, headers=_NO_STORE)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return probe(feed.alive if feed is not None else lambda: (True, "no decision reader"))

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> PlainTextResponse:
        return probe(feed.ready if feed is not None else lambda: (True, "no decision reader"))

    return app
