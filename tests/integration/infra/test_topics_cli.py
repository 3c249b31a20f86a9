"""``prescreen topics create`` against a real broker: creates the registry, then is a no-op."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.admin._resource import ResourceType
from typer.testing import CliRunner

from services.cli.main import app
from services.common.contracts.registry import Topics

pytestmark = pytest.mark.integration


def _create(bootstrap: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app,
        ["topics", "create", "--json"],
        env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS": None},
    )
    assert result.exit_code == 0, result.output
    outcome: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


def test_topics_create_creates_the_registry_once(kafka_bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    registry = [spec.name for spec in Topics.all()]
    # Other tests of the session may already have created some registry topics.
    before = set(admin.list_topics(timeout=30).topics)
    preexisting = [name for name in registry if name in before]

    first = _create(kafka_bootstrap)
    assert first["created"] == [name for name in registry if name not in before]
    assert first["existing"] == preexisting

    metadata = admin.list_topics(timeout=30).topics
    for spec in Topics.all():
        assert spec.name in metadata, spec.name
        assert metadata[spec.name].error is None, spec.name
        if spec.name in first["created"]:
            assert len(metadata[spec.name].partitions) == spec.partitions, spec.name
    if Topics.DLQ.name in first["created"]:
        resource = ConfigResource(ResourceType.TOPIC, Topics.DLQ.name)
        configs = admin.describe_configs([resource])[resource].result(timeout=30)
        for key, value in Topics.DLQ.config.items():
            assert configs[key].value == value, key

    second = _create(kafka_bootstrap)
    assert second == {"created": [], "existing": registry}


def test_topics_create_says_what_it_did(kafka_bootstrap: str) -> None:
    result = CliRunner().invoke(
        app,
        ["topics", "create"],
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS": None},
    )
    assert result.exit_code == 0, result.output
    for spec in Topics.all():
        assert f"existing {spec.name}" in result.stdout or f"created  {spec.name}" in result.stdout
    assert f"{len(Topics.all())} topics on {kafka_bootstrap}" in result.stdout
