"""Webhook delivery settings, read from ``PRESCREEN_NOTIFIER_WEBHOOK_*``.

Signing secrets are settings (a JSON object ``{"secret-id": "secret"}``) and never appear in a
``repr`` or a validation error; the subscriptions that name them come from a JSON file or an
inline JSON list.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.common.settings import reject_placeholder, split_list
from services.notifier.webhooks.ssrf import AllowList

ENV_PREFIX: Final = "PRESCREEN_NOTIFIER_WEBHOOK_"
MIN_SECRET_LENGTH: Final = 32
SECRET_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # noqa: S105 - a regex, not a credential
_SECRET_ID: Final = re.compile(SECRET_ID_PATTERN)


class WebhookSettings(BaseSettings):
    """Where subscriptions come from, the signing keys, the URL policy, timeouts and retries."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    subscriptions_file: Path | None = Field(
        default=None, description="A JSON file holding a list of subscriptions."
    )
    subscriptions: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Subscriptions inline, as a JSON list (instead of subscriptions_file).",
    )
    secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='Signing keys, JSON: {"secret-id": "at least 32 characters"}.',
    )
    allow_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description=(
            "Hosts, IPs and CIDRs reachable despite the SSRF policy (and over plain http); "
            "for tests and deliberate private receivers. Comma-separated or a JSON list."
        ),
    )
    allowed_ports: Annotated[tuple[int, ...], NoDecode] = Field(
        default=(), description="If set, the only ports webhook URLs may use."
    )
    require_https: bool = Field(default=True, description="Plain http only to allow-listed hosts.")
    connect_timeout_s: float = Field(default=2.0, gt=0, le=30)
    total_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="Budget of one attempt, connect to last byte."
    )
    max_attempts: int = Field(
        default=5,
        ge=1,
        le=10,
        description="Attempts per delivery in all (the first, then the retry topic's).",
    )
    backoff_base_s: float = Field(default=1.0, gt=0, le=60)
    backoff_cap_s: float = Field(default=30.0, gt=0, le=600)
    max_response_bytes: int = Field(default=64 * 1024, ge=0, le=1024 * 1024)
    workers: int = Field(
        default=16, ge=1, le=256, description="Deliveries in flight at once, per stage process."
    )
    retry_batch_max_events: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description=(
            "Most owed deliveries the retry stage takes per batch: a batch waits for its "
            "backoffs and its slowest receiver, and must end well inside the poll interval."
        ),
    )
    user_agent: str = Field(
        default="prescreen-notifier/1", pattern=r"^[\x21-\x7e][\x20-\x7e]{0,99}$"
    )

    _split = field_validator("allow_hosts", "allowed_ports", mode="before")(split_list)

    @field_validator("secrets")
    @classmethod
    def _check_secrets(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for secret_id, secret in value.items():
            if not _SECRET_ID.fullmatch(secret_id):
                raise ValueError("secret ids are 1-64 characters of [A-Za-z0-9_.:-]")
            reject_placeholder(secret)
            if len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(f"signing secrets must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("allow_hosts")
    @classmethod
    def _check_allow_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        AllowList.parse(value)
        return value

    @field_validator("allowed_ports")
    @classmethod
    def _check_ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 < port < 65536 for port in value):
            raise ValueError("ports are 1-65535")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> WebhookSettings:
        if self.connect_timeout_s > self.total_timeout_s:
            raise ValueError("connect_timeout_s must not exceed total_timeout_s")
        if self.backoff_base_s > self.backoff_cap_s:
            raise ValueError("backoff_base_s must not exceed backoff_cap_s")
        if self.subscriptions_file is not None and self.subscriptions:
            raise ValueError("set subscriptions_file or subscriptions, not both")
        return self

    def allow_list(self) -> AllowList:
        return AllowList.parse(self.allow_hosts)
