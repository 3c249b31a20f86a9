"""Settings come from the documented variables only."""

from __future__ import annotations

import pytest

from services.common.settings import KafkaSettings, RedisSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KAFKA_BOOTSTRAP_SERVERS",
        "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS",
        "REDIS_URL",
        "PRESCREEN_REDIS_URL",
        "URL",
        "BOOTSTRAP_SERVERS",
    ):
        monkeypatch.delenv(name, raising=False)


def test_documented_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("PRESCREEN_REDIS_URL", "redis://127.0.0.1:2/3")
    assert KafkaSettings().bootstrap_servers == "127.0.0.1:1"
    assert RedisSettings().url == "redis://127.0.0.1:2/3"


def test_bare_generic_names_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # A variable called URL or BOOTSTRAP_SERVERS in a pod belongs to something else.
    monkeypatch.setenv("URL", "redis://elsewhere:1")
    monkeypatch.setenv("BOOTSTRAP_SERVERS", "elsewhere:1")
    assert RedisSettings().url == "redis://127.0.0.1:6379/0"
    assert KafkaSettings().bootstrap_servers == "127.0.0.1:9092"


def test_constructor_arguments_use_field_names() -> None:
    assert KafkaSettings(bootstrap_servers="h:1").bootstrap_servers == "h:1"
    assert RedisSettings(url="redis://h:2/0").url == "redis://h:2/0"


def test_placeholder_secret_fails_fast() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        KafkaSettings(sasl_password="changeme")


def test_sasl_settings_reach_the_client_config() -> None:
    config = KafkaSettings(
        bootstrap_servers="h:1",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="fraud",
        sasl_password="s3cr3t-value",
    ).client_config()
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.password"] == "s3cr3t-value"


def test_a_rejected_secret_is_not_echoed_by_service_settings() -> None:
    from pydantic import ValidationError

    from services.ingest.settings import IngestSettings

    with pytest.raises(ValidationError) as error:
        IngestSettings(
            ssn_token_key="c2hvcnQ=", pii_keys={"p1": "c2hvcnQ="}, pii_active_key_id="p1"
        )
    assert "c2hvcnQ=" not in str(error.value)
    assert "p1" in str(error.value)  # the key id still says which one is wrong
