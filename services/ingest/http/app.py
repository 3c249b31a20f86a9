"""Assembling the ingest FastAPI application from its parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse
from starlette.types import Scope

from services.common.heap import freeze_startup_heap
from services.common.http.auth import Authenticator, install_auth
from services.common.http.body_limit import RequestBodyLimit
from services.common.http.errors import install_error_handlers
from services.common.http.idempotency import IdempotencyStore, install_idempotency
from services.common.http.ratelimit import RateLimiter, install_rate_limiter
from services.ingest.http.deps import STATE_ATTRIBUTE, IngestDependencies
from services.ingest.http.routes import openapi_components, router


def create_app(
    deps: IngestDependencies,
    *,
    authenticator: Authenticator,
    limiter: RateLimiter,
    idempotency: IdempotencyStore,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()
        yield
        deps.publisher.close()

    app = FastAPI(
        title="loan-prescreen ingest",
        version="1",
        description=(
            "Submit loan applications, follow them to their decision, attach documents. "
            "Every route but the probes needs a bearer JWT or an API key."
        ),
        lifespan=lifespan,
    )
    setattr(app.state, STATE_ATTRIBUTE, deps)
    install_error_handlers(app)
    install_auth(app, authenticator)
    install_rate_limiter(app, limiter)
    install_idempotency(app, idempotency)
    app.include_router(router)

    def body_limit(scope: Scope) -> int | None:
        # Document uploads are multipart: Starlette spools their files to disk and the store
        # caps each one. Every other body (JSON) is refused past the submission limit before
        # it is buffered.
        if scope["method"] == "POST" and scope["path"].endswith("/documents"):
            return None
        return deps.intake.max_body_bytes

    app.add_middleware(RequestBodyLimit, limit_of=body_limit)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in openapi_components().items():
                schemas.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> PlainTextResponse:
        try:
            await deps.status.ping()
        except Exception:  # noqa: BLE001 - any failure to reach Redis means not ready
            return PlainTextResponse("unavailable: redis\n", status_code=503)
        return PlainTextResponse("ok\n")

    return app
