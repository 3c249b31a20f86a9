"""Settings of the fraud stage, read from ``PRESCREEN_FRAUD_*``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.contracts import Topics
from services.common.fieldcrypto import FieldCipher, decode_key
from services.common.settings import PiiKeyRing, ServiceSettings


class FraudSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_FRAUD_", extra="ignore", frozen=True)

    # The chain order is configuration: a bank may screen before the documents step.
    input_topic: str = Topics.DOCUMENTS_VERIFIED.name
    watchlist_dir: Path = Field(
        description=(
            "Directory with the lists: sdn.csv (+ alt.csv, add.csv) in the OFAC layout and/or "
            "denylist.csv / denylist.json. Required: screening against nothing is not screening."
        )
    )
    watchlist_reload_interval_s: float = Field(
        default=30.0, gt=0, le=3600, description="How often, at most, to look for list changes."
    )
    hit_threshold: float = Field(default=0.92, gt=0, le=1, description="Score of a hit.")
    review_threshold: float = Field(default=0.85, gt=0, le=1, description="Score to review.")
    pii_keys: PiiKeyRing
    velocity_key: SecretStr = Field(
        description=(
            "Base64 secret (32+ bytes) for the keyed hashes of e-mail, phone, device and IP in "
            "Redis. Changing it restarts the velocity history: change the Redis prefix with it."
        )
    )
    income_tolerance: float = Field(
        default=0.15, ge=0, le=5, description="Stated over verified income tolerated, relative."
    )
    policy_dir: Path | None = Field(
        default=None, description="Directory of rules.json and outcome.json; shipped ones if unset."
    )
    stage_version: str = "0.1.0"

    @field_validator("velocity_key")
    @classmethod
    def _velocity_key_decodes(cls, key: SecretStr) -> SecretStr:
        decode_key("velocity", key)
        return key

    def cipher(self) -> FieldCipher:
        """Opens sealed personal data; cannot seal (fraud never writes personal data)."""
        return FieldCipher.from_base64(self.pii_keys, None)

    def velocity_key_bytes(self) -> bytes:
        return decode_key("velocity", self.velocity_key)
