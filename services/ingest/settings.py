"""Ingest settings, read from ``PRESCREEN_INGEST_*``.

The SSN token key and the personal-data key ring are secrets without defaults: a pod that starts
without them must fail at once rather than publish events no later stage can match or open.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.contracts.pii import MIN_TOKEN_KEY_BYTES
from services.common.contracts.sealed import KEY_ID_PATTERN
from services.common.fieldcrypto import KEY_BYTES
from services.common.settings import ServiceSettings, reject_placeholder

MAX_BODY_BYTES_DEFAULT = 256 * 1024


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRESCREEN_INGEST_", extra="ignore", frozen=True, populate_by_name=True
    )

    ssn_token_key: SecretStr = Field(
        description=(
            "Key of the SSN token (HMAC-SHA256), used as its UTF-8 bytes; at least 32 bytes, "
            "e.g. `openssl rand -base64 48`. Shared with every service that matches tokens."
        )
    )
    ssn_token_key_id: str = Field(
        default="k1",
        pattern=KEY_ID_PATTERN,
        description="Id of ssn_token_key, written next to every token so keys can rotate.",
    )
    pii_keys: dict[str, SecretStr] = Field(
        description=(
            'Key ring for sealed personal fields, as JSON: {"<key id>": "<base64 of 32 '
            'bytes>"}. Keep retired keys here while events sealed with them are retained.'
        )
    )
    pii_active_key_id: str = Field(
        pattern=KEY_ID_PATTERN, description="Key of pii_keys that seals new values."
    )
    max_body_bytes: int = Field(
        default=MAX_BODY_BYTES_DEFAULT,
        ge=1024,
        le=16 * 1024 * 1024,
        description="Largest accepted application, in bytes of JSON.",
    )
    clock_skew_s: float = Field(
        default=300.0,
        ge=0,
        le=3600,
        description="How far in the future submitted_at and consent times may be (clock skew).",
    )
    input_topic: str = Field(
        default=Topics.SUBMITTED.name, description="Topic the Kafka intake reads."
    )

    _check_token_key = field_validator("ssn_token_key")(reject_placeholder)

    @field_validator("ssn_token_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < MIN_TOKEN_KEY_BYTES:
            raise ValueError(f"must be at least {MIN_TOKEN_KEY_BYTES} bytes")
        return value

    @field_validator("pii_keys")
    @classmethod
    def _valid_key_ring(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if not keys:
            raise ValueError("needs at least one key")
        for key_id, key in keys.items():
            if not re.fullmatch(KEY_ID_PATTERN, key_id):
                raise ValueError(f"key id {key_id!r} must match {KEY_ID_PATTERN}")
            reject_placeholder(key)
            try:
                raw = base64.b64decode(key.get_secret_value().strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"key {key_id!r} is not base64") from None
            if len(raw) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be base64 of {KEY_BYTES} bytes")
        return keys

    @model_validator(mode="after")
    def _active_key_present(self) -> Self:
        if self.pii_active_key_id not in self.pii_keys:
            raise ValueError(f"pii_active_key_id {self.pii_active_key_id!r} is not in pii_keys")
        return self

    @property
    def token_key(self) -> bytes:
        return self.ssn_token_key.get_secret_value().encode()
