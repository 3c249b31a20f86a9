"""Dashboard settings, read from ``PRESCREEN_NOTIFIER_DASHBOARD_*``.

Credentials (API key hashes, JWT keys) are read under the same prefix by
``services.common.http.auth_settings.auth_settings_for``; this class ignores them.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.contracts.registry import Topics
from services.common.settings import ServiceSettings

ENV_PREFIX: Final = "PRESCREEN_NOTIFIER_DASHBOARD_"
SCOPE_DECISIONS_READ: Final = "decisions:read"
KAFKA_TOPIC_PATTERN: Final = r"^[A-Za-z0-9._-]{1,249}$"


class DashboardSettings(ServiceSettings):
    """Where the dashboard listens, what it reads and how much it keeps."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = Field(default="127.0.0.1", min_length=1, description="Address to listen on.")
    port: int = Field(default=8093, ge=0, le=65535, description="Port to listen on; 0 = any.")
    topic: str = Field(
        default=Topics.DECISIONS.name,
        pattern=KAFKA_TOPIC_PATTERN,
        description="Topic of LoanDecision events to read.",
    )
    window_minutes: int = Field(
        default=15, ge=1, le=240, description="Rolling window of decision time the figures cover."
    )
    latest_count: int = Field(
        default=20, ge=1, le=200, description="Decisions listed in the latest-decisions table."
    )
    top_reasons: int = Field(default=10, ge=1, le=50, description="Decline reasons listed.")
    max_streams: int = Field(
        default=50, ge=1, le=10_000, description="Concurrent event streams; more get 503."
    )
    keepalive_s: float = Field(
        default=15.0, gt=0, le=300, description="Idle time after which a stream gets a comment."
    )
    snapshot_interval_s: float = Field(
        default=0.5,
        ge=0.1,
        le=60,
        description="Shortest time between two snapshot events on one stream.",
    )
    stream_queue: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Decision events held for a slow stream before it gets a snapshot instead.",
    )
    poll_timeout_s: float = Field(
        default=0.5, gt=0, le=10, description="Longest wait of one Kafka poll."
    )
    shutdown_grace_s: int = Field(
        default=3, ge=1, le=60, description="Seconds open streams get to finish at shutdown."
    )
