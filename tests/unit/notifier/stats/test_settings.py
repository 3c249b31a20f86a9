"""StatsSettings: defaults from the registry, the environment, limits; faust's broker URL."""

from __future__ import annotations

from datetime import timedelta

import faust
import pytest
from pydantic import SecretStr, ValidationError

from services.common.contracts import Topics
from services.common.settings import KafkaSettings
from services.notifier.stats.settings import StatsSettings, broker_credentials, broker_url

PREFIX = "PRESCREEN_NOTIFIER_STATS_"


def test_defaults() -> None:
    settings = StatsSettings()
    assert settings.app_id == "prescreen-notifier-stats"
    assert settings.window == timedelta(minutes=1)
    assert settings.grace == timedelta(seconds=10)
    assert settings.idle_close_s == 120.0
    assert settings.input_topic == Topics.DECISIONS.name
    assert settings.output_topic == Topics.DECISION_STATS.name
    assert settings.windows_topic == "prescreen-notifier-stats-contributions"
    assert not settings.web_enabled and settings.web_host == "127.0.0.1"
    assert settings.data_directory.name == "prescreen-notifier-stats-data"
    assert settings.data_directory.is_absolute()


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}APP_ID", "stats-test")
    monkeypatch.setenv(f"{PREFIX}WINDOW_S", "300")
    monkeypatch.setenv(f"{PREFIX}GRACE_S", "2.5")
    monkeypatch.setenv(f"{PREFIX}IDLE_CLOSE_S", "30")
    monkeypatch.setenv(f"{PREFIX}INPUT_TOPIC", "t.in")
    monkeypatch.setenv(f"{PREFIX}OUTPUT_TOPIC", "t.out")
    monkeypatch.setenv(f"{PREFIX}WEB_ENABLED", "true")
    monkeypatch.setenv(f"{PREFIX}WEB_PORT", "16066")
    monkeypatch.setenv(f"{PREFIX}DATA_DIR", "/var/lib/stats")
    monkeypatch.setenv("GRACE_S", "99")  # another service's bare name is ignored
    settings = StatsSettings()
    assert settings.app_id == "stats-test"
    assert settings.window == timedelta(minutes=5)
    assert settings.grace == timedelta(seconds=2.5)
    assert settings.idle_close_s == 30.0
    assert (settings.input_topic, settings.output_topic) == ("t.in", "t.out")
    assert settings.web_enabled and settings.web_port == 16066
    assert settings.windows_topic == "stats-test-contributions"
    assert str(settings.data_directory) == "/var/lib/stats"


@pytest.mark.parametrize(
    "values",
    [
        {"window_s": 0},
        {"grace_s": -1},
        {"idle_close_s": 0},
        {"app_id": "has space"},
        {"input_topic": "bad/topic"},
        {"input_topic": "same", "output_topic": "same"},
        {"web_port": 70000},
    ],
)
def test_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        StatsSettings.model_validate(values)


def test_the_broker_url_names_every_bootstrap_server() -> None:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:9092, 127.0.0.1:9093")
    assert broker_url(kafka) == "kafka://127.0.0.1:9092;kafka://127.0.0.1:9093"
    with pytest.raises(ValueError, match="bootstrap"):
        broker_url(KafkaSettings(bootstrap_servers=" , "))


def test_the_broker_url_follows_kafka_bootstrap_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    assert broker_url(KafkaSettings()) == "kafka://127.0.0.1:19092"


def test_credentials_follow_the_shared_security_settings() -> None:
    assert broker_credentials(KafkaSettings()) is None
    sasl = broker_credentials(
        KafkaSettings(
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username="stats",
            sasl_password=SecretStr("a-real-password-123"),
        )
    )
    assert isinstance(sasl, faust.SASLCredentials)
    assert sasl.username == "stats" and sasl.mechanism.value == "SCRAM-SHA-512"
    assert sasl.ssl_context is None
    tls = broker_credentials(KafkaSettings(security_protocol="SSL"))
    assert isinstance(tls, faust.SSLCredentials)
