"""Decision statistics settings, read from ``PRESCREEN_NOTIFIER_STATS_*``.

The Kafka connection comes from the shared ``KafkaSettings`` (``KAFKA_BOOTSTRAP_SERVERS`` or
``PRESCREEN_KAFKA_*``), turned into faust's broker URL and credentials here.
"""

from __future__ import annotations

import ssl
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Final

import faust
from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.settings import KafkaSettings, ServiceSettings

ENV_PREFIX: Final = "PRESCREEN_NOTIFIER_STATS_"
APP_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


class StatsSettings(ServiceSettings):
    """The faust app id, the window, when windows close, the topics and faust's web server."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    app_id: str = Field(
        default="prescreen-notifier-stats",
        pattern=APP_ID_PATTERN,
        description="faust app id: the consumer group and the prefix of its internal topics.",
    )
    window_s: int = Field(default=60, ge=1, le=24 * 3600, description="Tumbling window size.")
    grace_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="How far decision time must move past a window's end before it closes.",
    )
    idle_close_s: float = Field(
        default=120.0,
        gt=0,
        le=24 * 3600,
        description="Close every open window after this long without a decision (wall clock).",
    )
    check_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="How often the closing rule is evaluated."
    )
    input_topic: str = Field(default=Topics.DECISIONS.name, min_length=1, max_length=249)
    output_topic: str = Field(default=Topics.DECISION_STATS.name, min_length=1, max_length=249)
    internal_replication_factor: int = Field(
        default=1, ge=1, le=10, description="Replication of the internal and changelog topics."
    )
    data_dir: Path | None = Field(
        default=None,
        description=(
            "faust's data directory (it creates one even for memory tables); "
            "default <system temp dir>/<app id>-data, never the working directory."
        ),
    )
    web_enabled: bool = Field(default=False, description="Run faust's web server.")
    web_host: str = Field(default="127.0.0.1", min_length=1)
    web_port: int = Field(default=6066, ge=1, le=65535)

    @field_validator("input_topic", "output_topic")
    @classmethod
    def _legal_topic_name(cls, value: str) -> str:
        if value in {".", ".."} or not all(c.isalnum() or c in "._-" for c in value):
            raise ValueError("topic names are 1-249 characters of [A-Za-z0-9._-]")
        return value

    @model_validator(mode="after")
    def _distinct_topics(self) -> StatsSettings:
        if self.input_topic == self.output_topic:
            raise ValueError("input_topic and output_topic must differ")
        return self

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_s)

    @property
    def data_directory(self) -> Path:
        return self.data_dir or Path(tempfile.gettempdir()) / f"{self.app_id}-data"

    @property
    def windows_topic(self) -> str:
        """The internal single-partition topic every decision's contribution goes through."""
        return f"{self.app_id}-contributions"


def broker_url(kafka: KafkaSettings) -> str:
    """``kafka://host:port`` for each bootstrap server, as faust expects them."""
    hosts = [part.strip() for part in kafka.bootstrap_servers.split(",") if part.strip()]
    if not hosts:
        raise ValueError("no Kafka bootstrap servers configured")
    return ";".join(f"kafka://{host}" for host in hosts)


def broker_credentials(kafka: KafkaSettings) -> faust.types.auth.CredentialsT | None:
    """faust's credentials for the shared security settings; None for plaintext."""
    protocol = kafka.security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = None
    if protocol in {"SSL", "SASL_SSL"}:
        context = ssl.create_default_context(cafile=kafka.ssl_ca_location)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    return faust.SASLCredentials(
        username=kafka.sasl_username,
        password=password,
        ssl_context=context,
        mechanism=kafka.sasl_mechanism or "PLAIN",
    )
