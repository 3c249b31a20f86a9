"""Shared fixtures of the ingest integration tests: the HTTP app on real Kafka and Redis."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.common.contracts.registry import Topics
from services.common.docstore.settings import DocumentStoreSettings
from services.common.http.auth_settings import api_key_hash
from services.common.settings import KafkaSettings, RedisSettings
from services.ingest.app import IngestHttpSettings, build_app
from services.ingest.http.deps import STATE_ATTRIBUTE
from services.ingest.settings import IngestSettings
from tests.integration.runtime.support import make_topics

KEYS = {"bank-a": "key-a-" + "x" * 30, "bank-b": "key-b-" + "y" * 30, "slow": "key-s-" + "z" * 30}
ALL_SCOPES = ["applications:write", "applications:read", "documents:write"]


def api_key_headers(client: str, **extra: str) -> dict[str, str]:
    """Headers authenticating as ``client`` (every scope) with its API key."""
    return {"X-API-Key": KEYS[client], **extra}


@pytest.fixture
def topic(kafka_bootstrap: str, unique_name: str) -> str:
    """A private received topic: the app publishes accepted applications here."""
    name = f"{unique_name}.received"
    make_topics(kafka_bootstrap, name, uploads_topic_of(name), partitions=3)
    return name


def uploads_topic_of(received_topic: str) -> str:
    """The private documents-uploaded topic that goes with a private received topic."""
    return f"{received_topic}.uploads"


@pytest.fixture
def rate_limit_overrides() -> dict[str, dict[str, float]]:
    """Per-client rate limits of the app; a module may override this fixture."""
    return {"slow": {"per_s": 0.1, "burst": 2}}


@pytest.fixture
def app(
    kafka_bootstrap: str,
    redis_url: str,
    topic: str,
    rate_limit_overrides: dict[str, dict[str, float]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    """The ingest app as ``build_app`` wires it, on the session's Kafka and Redis.

    Clients ``bank-a``, ``bank-b`` and ``slow`` hold every scope (``rate_limit_overrides``
    limits ``slow`` to 0.1/s, burst 2); Redis keys get a fresh prefix and documents go to a
    local directory.
    """
    clients = {
        client: {"sha256": api_key_hash(key), "scopes": ALL_SCOPES} for client, key in KEYS.items()
    }
    monkeypatch.setenv("PRESCREEN_INGEST_API_KEYS", json.dumps(clients))
    monkeypatch.setenv("PRESCREEN_INGEST_RATE_LIMIT_OVERRIDES", json.dumps(rate_limit_overrides))
    application = build_app(
        ingest=IngestSettings(
            ssn_token_key="t" * 40,
            pii_keys={"p1": base64.b64encode(b"p" * 32).decode()},
            pii_active_key_id="p1",
        ),
        http=IngestHttpSettings(long_poll_max_s=2),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_settings=RedisSettings(url=redis_url, key_prefix=f"t{uuid.uuid4().hex[:8]}"),
        documents=DocumentStoreSettings(backend="local", local_root=tmp_path / "docs"),
    )
    deps = getattr(application.state, STATE_ATTRIBUTE)
    deps.received_topic = dataclasses.replace(Topics.RECEIVED, name=topic)
    deps.uploads_topic = dataclasses.replace(
        Topics.DOCUMENTS_UPLOADED, name=uploads_topic_of(topic)
    )
    yield application
