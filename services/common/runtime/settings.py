"""Tuning knobs of the stage runtime, read from ``PRESCREEN_RUNTIME_*``."""

from __future__ import annotations

import socket

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_RUNTIME_", extra="ignore", frozen=True)

    instance_id: str = Field(
        default_factory=socket.gethostname,
        description=(
            "Stable per instance (a pod name): it is the suffix of the transactional id, so a "
            "restarted instance fences its crashed predecessor at once instead of leaving an "
            "open transaction that stalls read_committed consumers until it times out."
        ),
    )
    batch_max_events: int = Field(default=500, ge=1, le=100_000)
    poll_timeout_s: float = Field(default=0.1, gt=0, le=10)
    transaction_timeout_ms: int = Field(default=10_000, ge=1_000)
    max_retries: int = Field(default=4, ge=0, description="Transient handler retries per batch.")
    retry_backoff_s: float = Field(default=0.2, gt=0)
    retry_backoff_max_s: float = Field(default=5.0, gt=0)
    commit_retries: int = Field(default=5, ge=0)
    dedup_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(
        default=None, ge=0, le=65535, description="Serve /healthz /readyz /metrics; 0 = any port."
    )
    liveness_stale_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "/healthz fails when the loop has not turned for this long. Keep it above the "
            "slowest batch: handler time plus retries with backoff plus any Once lease wait."
        ),
    )
    lag_refresh_s: float = Field(default=5.0, gt=0)
    dead_letter_seal_key: SecretStr | None = Field(
        default=None,
        description=(
            "Base64 of 32 random bytes (`prescreen dlq new-key`). Dead letters of topics that "
            "carry raw personal data are sealed with it; without it their payload is withheld."
        ),
    )
    linger_ms: int = Field(default=5, ge=0)
    fetch_wait_max_ms: int = Field(
        default=20,
        ge=1,
        description=(
            "Longest a fetch may wait at the broker for new committed records. The client "
            "default (500 ms) shows up as whole extra hops of latency on read_committed topics."
        ),
    )
    compression: str = Field(default="lz4", pattern="^(none|gzip|snappy|lz4|zstd)$")
