"""How the documents service reaches Amazon Textract, read from ``PRESCREEN_TEXTRACT_*``.

Credentials are not settings: boto3 finds them the usual way (environment, shared config,
instance or task role), so no secret is ever spelled in this configuration.
"""

from __future__ import annotations

from botocore.config import Config
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import check_endpoint_url


class TextractSettings(BaseSettings):
    """Region, endpoint, timeouts and the lending-job polling budget."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_TEXTRACT_", extra="ignore", frozen=True)

    region: str | None = Field(default=None, pattern=r"^[a-z0-9-]{2,32}$")
    endpoint_url: str | None = Field(
        default=None, description="Another Textract endpoint, e.g. a local emulator for tests."
    )
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)
    poll_interval_s: float = Field(default=5.0, gt=0, le=60)
    lending_timeout_s: float = Field(
        default=300.0, gt=0, le=3600, description="How long one poll of a lending job may wait."
    )

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value)

    def botocore_config(self) -> Config:
        """Timeouts and botocore's standard retry mode (which already backs off on throttling)."""
        return Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
        )
