"""Settings of the offers stage, read from ``PRESCREEN_OFFERS_*``.

The language model is ``PRESCREEN_OFFERS_BEDROCK_*`` (``narrative/settings.py``); the quote API
is ``PRESCREEN_OFFERS_API_*`` (``quotes/settings.py``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.settings import ServiceSettings


class OffersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_OFFERS_", extra="ignore", frozen=True)

    input_topic: str = Topics.SCORED.name
    catalogue_file: Path | None = Field(
        default=None, description="The bank's products.json; the shipped catalogue if unset."
    )
    knowledge_dir: Path | None = Field(
        default=None, description="Policy knowledge base (markdown); the shipped one if unset."
    )
    offer_letter: bool = Field(
        default=False,
        description="Also write the offer letter for approvals and counter-offers (appended).",
    )
    quote_context_days: float = Field(
        default=30,
        gt=0,
        le=365,
        description="How long the quote API can recompute an application's offers.",
    )
    narrative_lease_s: float = Field(
        default=60.0, gt=0, le=600, description="Claim on one model call; above its timeout."
    )
    stage_version: str = "0.1.0"
