"""Where the local stack keeps its state and which ports it uses (``PRESCREEN_STACK_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.infra.paths import repo_root
from services.common.settings import ServiceSettings


def _default_state_dir() -> Path:
    return repo_root() / ".local" / "stack"


class StackSettings(ServiceSettings):
    """The local stack's own settings. Kafka and Redis come from ``KAFKA_BOOTSTRAP_SERVERS`` and
    ``REDIS_URL`` when both are set (an existing cluster); otherwise the stack starts its own."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_STACK_")

    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Keys, generated data, logs and pid files of the stack.",
    )
    kafka_port: int = Field(default=9092, ge=1, le=65535)
    kafka_controller_port: int = Field(default=9093, ge=1, le=65535)
    redis_port: int = Field(default=6379, ge=1, le=65535)
    ingest_port: int = Field(default=8080, ge=1, le=65535, description="The ingest API.")
    quotes_port: int = Field(default=8081, ge=1, le=65535, description="The quote API.")
    dashboard_port: int = Field(default=8093, ge=1, le=65535, description="The dashboard.")
    health_base_port: int = Field(
        default=9400,
        ge=1,
        le=65000,
        description="Stage n serves /healthz, /readyz and /metrics on this port plus n.",
    )
    redis_key_prefix: str = Field(
        default="prescreen",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Prefix of every Redis key the services write (two stacks on one Redis).",
    )
    start_timeout_s: float = Field(default=240.0, gt=0, le=3600)
    model_rows: int = Field(
        default=20_000, ge=1_000, le=1_000_000, description="Rows the first model trains on."
    )
    watchlist_size: int = Field(
        default=5_000, ge=10, le=1_000_000, description="Entries of the generated watch list."
    )
    seed: int = Field(default=7, ge=0, description="Seed of the generated model and watch list.")
