"""How the offers stage reaches a Bedrock model for narratives, from ``PRESCREEN_OFFERS_BEDROCK_*``.

No ``model_id`` (the default) means no model at all: every narrative is the template. Credentials
are not settings; boto3 finds them the usual way (environment, shared config, task role).

The call budget is deliberately small: a narrative is a nicety, the decision must not wait for
it. A slow model times out (``read_timeout_s``), botocore retries at most ``max_attempts`` - 1
times, at most ``concurrency`` calls run at once (a caller finding every slot busy for
``acquire_timeout_s`` gets the template), and after ``breaker_failures`` consecutive failures
within ``breaker_window_s`` the breaker sends everyone to the template for ``breaker_cooldown_s``.
"""

from __future__ import annotations

from botocore.config import Config
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import check_endpoint_url


class NarrativeSettings(BaseSettings):
    """Model, guardrail, endpoint, timeouts, concurrency and circuit breaker."""

    model_config = SettingsConfigDict(
        env_prefix="PRESCREEN_OFFERS_BEDROCK_",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        protected_namespaces=(),  # "model_id" is a field, not pydantic's namespace
    )

    model_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Bedrock model or inference profile id; unset disables the model.",
    )
    guardrail_id: str | None = Field(
        default=None, min_length=1, max_length=2048, description="Bedrock guardrail id or ARN."
    )
    guardrail_version: str = Field(
        default="DRAFT", pattern=r"^(DRAFT|[1-9][0-9]{0,7})$", description="DRAFT or a number."
    )
    knowledge_base_id: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z]{1,10}$",
        description="A Bedrock knowledge base to retrieve policy passages from; the local one "
        "in the repository when unset or when it fails.",
    )
    agent_endpoint_url: str | None = Field(
        default=None, description="Another Bedrock agent runtime endpoint (knowledge bases)."
    )
    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,32}$")
    endpoint_url: str | None = Field(
        default=None, description="Another Bedrock runtime endpoint, e.g. a VPC endpoint."
    )
    connect_timeout_s: float = Field(default=2.0, gt=0, le=30)
    read_timeout_s: float = Field(default=15.0, gt=0, le=120)
    max_attempts: int = Field(
        default=2, ge=1, le=3, description="botocore attempts per call, the first included."
    )
    max_tokens: int = Field(default=1200, ge=64, le=4096)
    temperature: float = Field(default=0.2, ge=0, le=1)
    concurrency: int = Field(default=4, ge=1, le=256, description="Model calls at once.")
    acquire_timeout_s: float = Field(
        default=0.05, ge=0, le=5, description="How long a caller waits for a free slot."
    )
    breaker_failures: int = Field(default=5, ge=1, le=1000)
    breaker_window_s: float = Field(default=60.0, gt=0, le=3600)
    breaker_cooldown_s: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("endpoint_url", "agent_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value)

    @property
    def enabled(self) -> bool:
        """Whether a model is configured at all."""
        return self.model_id is not None

    def botocore_config(self) -> Config:
        """Short timeouts and few retries, so a slow model never stalls the stage."""
        return Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
        )
