"""Settings shared by every service, read from the environment.

Each service subclasses ``ServiceSettings`` with its own ``env_prefix`` (``PRESCREEN_FRAUD_`` ...),
so two services on one host never read each other's values. Connection settings for Kafka and
Redis are shared under ``PRESCREEN_KAFKA_`` and ``PRESCREEN_REDIS_`` because a deployment points
every service at the same cluster.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import redis
from pydantic import AfterValidator, AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.fieldcrypto import FieldCipher

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "todo", "xxx"}


def reject_placeholder(value: SecretStr | None) -> SecretStr | None:
    """Fail fast when a secret was left at a template value."""
    if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
        raise ValueError("is a placeholder; set a real secret")
    return value


class KafkaSettings(BaseSettings):
    """How to reach the Kafka cluster."""

    model_config = SettingsConfigDict(
        env_prefix="PRESCREEN_KAFKA_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        hide_input_in_errors=True,  # SASL passwords
    )

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "PRESCREEN_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
        description="Comma-separated host:port list; KAFKA_BOOTSTRAP_SERVERS also works.",
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: str | None = None

    _check_password = field_validator("sasl_password")(reject_placeholder)

    def client_config(self) -> dict[str, Any]:
        """librdkafka properties common to producers, consumers and admin clients."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            config["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password:
            config["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_ca_location:
            config["ssl.ca.location"] = self.ssl_ca_location
        return config


class RedisSettings(BaseSettings):
    """How to reach Redis (idempotency keys, velocity counters, status projection)."""

    model_config = SettingsConfigDict(
        env_prefix="PRESCREEN_REDIS_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        hide_input_in_errors=True,  # URLs may carry a password
    )

    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("PRESCREEN_REDIS_URL", "REDIS_URL"),
        description="redis:// or rediss:// URL; REDIS_URL also works.",
    )
    key_prefix: str = Field(default="prescreen", min_length=1)
    socket_timeout_s: float = Field(default=5.0, gt=0)


def redis_client(settings: RedisSettings | None = None) -> redis.Redis:
    """A Redis client with the configured timeouts, so a hung server fails a call, not a pod."""
    settings = settings or RedisSettings()
    return redis.Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        health_check_interval=30,
    )


class ServiceSettings(BaseSettings):
    """Base for a service's own settings; subclasses set ``env_prefix``."""

    # Settings hold keys and passwords: a validation error must not print the rejected value.
    # Subclasses' model_config is merged with this one, so every service inherits it.
    model_config = SettingsConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_redact_pii: bool = Field(
        default=True, description="Mask SSNs, e-mails, phone numbers and card numbers in logs."
    )


def split_list(value: Any) -> Any:
    """A list setting from the environment as ``a,b`` or as a JSON list; others pass through
    (use as a ``mode="before"`` validator)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _key_ring_decodes(keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
    FieldCipher.from_base64(keys, None)  # names the bad key id, never the key
    return keys


PiiKeyRing = Annotated[
    dict[str, SecretStr],
    Field(
        min_length=1,
        description="Key id -> base64 key, the ones ingest seals personal data with (to open).",
    ),
    AfterValidator(_key_ring_decodes),
]
"""The key ring a stage opens sealed personal details with, as a setting."""


def check_endpoint_url(value: str | None) -> str | None:
    """An AWS-style endpoint override: http(s) with a host, and never credentials in the URL."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials")
    return value
