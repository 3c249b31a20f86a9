"""Schemathesis against the ingest API's own OpenAPI document, in process, on Kafka and Redis.

Every documented operation gets generated requests, schema-valid ones and ones that break the
schema, sent through the ASGI app with an API key holding every scope. No answer may be a server
error; bodies and headers of documented responses must match the document, and requests that
break the schema must be refused. The run is derandomized and bounded so that CI stays fast.

Not checked: acceptance of schema-valid requests (auth and ownership refuse most of them by
design). The problem+json answers (401, 403, 404, 422, 429, 503) are declared on every route, so
their bodies are checked like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
)

from services.common.schema_export import OPENAPI_FILE, ingest_openapi_document
from tests.integration.ingest.conftest import api_key_headers

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]
CLIENT = "bank-a"
MAX_EXAMPLES = 60
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# The operations of the document (built offline, so collection needs no running services).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in ingest_openapi_document()["paths"].items()
    for method in item
)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@pytest.fixture
def rate_limit_overrides() -> dict[str, dict[str, float]]:
    # The fuzzing client must reach the routes, not the rate limiter.
    return {CLIENT: {"per_s": 100_000, "burst": 100_000}}


@pytest.fixture
def ingest_api(app: FastAPI) -> Iterator[schemathesis.BaseSchema]:
    """The document as the app serves it, bound to the app for in-process calls."""
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    # Schemathesis keeps an app's lifespan running until exit; end it (and the publisher) now.
    asgi.shutdown_lifespans()


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_errors(
    ingest_api: schemathesis.BaseSchema, method: str, path: str, mode: schemathesis.GenerationMode
) -> None:
    operation = ingest_api[path][method]
    auth = api_key_headers(CLIENT)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    run()


def test_the_submission_body_can_be_generated() -> None:
    schema = schemathesis.openapi.from_dict(ingest_openapi_document())
    assert list(schema["/v1/applications"]["POST"].body)


def test_the_served_document_is_the_committed_one(app: FastAPI) -> None:
    committed = json.loads((REPO_ROOT / "schemas" / OPENAPI_FILE).read_text(encoding="utf-8"))
    assert app.openapi() == committed
