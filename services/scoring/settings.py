"""Settings of the scoring stage, read from ``PRESCREEN_SCORING_*``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_SCORING_", extra="ignore", frozen=True)

    # The chain order is configuration: a bank may put scoring after another stage.
    input_topic: str = Topics.FRAUD_SCREENED.name
    model_dir: Path = Field(
        description=(
            "The model artifact written by `prescreen train` (`<out>/<spec>-<version>/`), or "
            "the `<out>` directory whose CURRENT file names the artifact to use; promoting a "
            "new version there is picked up without a restart. Required: a stage must never "
            "score with a guess."
        )
    )
    challenger_model_dir: Path | None = Field(
        default=None,
        description=(
            "A second artifact (or directory with CURRENT) scored in shadow on every batch: its "
            "score is recorded on the event and in metrics, and never decides."
        ),
    )
    model_reload_interval_s: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="How often, at most, the stage looks for a newly promoted model version.",
    )
    policy_dir: Path | None = Field(
        default=None,
        description="Directory of the policy tables; the tables shipped with the code if unset.",
    )
    bureau_seed: str = Field(
        default="prescreen-simulated-bureau",
        min_length=1,
        description="Seed of the simulated bureau and internal data: replays get the same files.",
    )
    bureau_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "Bureau pulls run side by side within a batch. 1 for the embedded simulation, "
            "which computes; more for a bureau reached over the network, which waits."
        ),
    )
    bankruptcy_lookback_months: int = Field(
        default=84,
        ge=0,
        le=1200,
        description="A bankruptcy this many months old or newer counts as recent for policy.",
    )
    stage_version: str = "0.1.0"
