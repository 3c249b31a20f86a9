"""Server process of ``prescreen bench ingest``: the ingest app plus one baseline route.

    python -m services.common.bench.ingest_server --port P [--workers N]

serves the product ingest app exactly as ``services.ingest.app`` builds it, configured from the
environment (``PRESCREEN_INGEST_*``, ``PRESCREEN_KAFKA_*``, ``PRESCREEN_REDIS_*``,
``PRESCREEN_DOCSTORE_*``), with one addition that exists only here: ``GET /bench/baseline``, a
trivial route behind the same authentication dependency as the submission route. It measures
what the HTTP stack and authentication alone cost on this server, in the same run.

``create_app`` is a factory so that uvicorn can build one app per worker process.
"""

from __future__ import annotations

import argparse
import ipaddress
from collections.abc import Sequence
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from services.common.http.auth import SCOPE_APPLICATIONS_WRITE, Principal, require_scopes
from services.common.logs import configure_logging
from services.ingest.app import IngestHttpSettings, build_app
from services.ingest.settings import IngestSettings

BASELINE_PATH = "/bench/baseline"
APP_FACTORY = "services.common.bench.ingest_server:create_app"

# The submission route's own authentication dependency: same scheme, same scope check.
Writer = Annotated[Principal, Depends(require_scopes(SCOPE_APPLICATIONS_WRITE))]


def add_baseline_route(app: FastAPI) -> None:
    """Mount ``GET /bench/baseline``: authenticate, answer a small JSON body, nothing else."""

    @app.get(BASELINE_PATH, include_in_schema=False)
    async def baseline(caller: Writer) -> JSONResponse:
        return JSONResponse({"client_id": caller.client_id}, status_code=200)


def create_app() -> FastAPI:
    """The ingest app from the environment, with the baseline route added."""
    ingest = IngestSettings()
    configure_logging("ingest", ingest.log_level, ingest.log_redact_pii)
    app = build_app(ingest=ingest, http=IngestHttpSettings())
    add_baseline_route(app)
    return app


def _loopback(host: str) -> str:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError(f"the benchmark server binds loopback only: {host}")
    return host


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ingest_server")
    parser.add_argument("--host", type=_loopback, default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
