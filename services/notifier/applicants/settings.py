"""Settings of applicant notifications, read from ``PRESCREEN_NOTIFIER_MAIL_*``.

Only the adapter chosen in ``adapter`` needs its settings: ``ses`` needs a region, ``smtp`` a
host. Passwords and the key ring are secrets: they never appear in a ``repr`` or a validation
error (``ServiceSettings`` hides rejected input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.fieldcrypto import FieldCipher
from services.common.infra.ports import is_loopback_host
from services.common.settings import (
    PiiKeyRing,
    ServiceSettings,
    check_endpoint_url,
    reject_placeholder,
)
from services.notifier.applicants.mailer import MalformedAddressError, checked_address

ENV_PREFIX: Final = "PRESCREEN_NOTIFIER_MAIL_"
_DAY_S: Final = 24 * 3600

Adapter = Literal["outbox", "ses", "smtp"]
SmtpSecurity = Literal["starttls", "ssl", "none"]


class Letterhead(BaseModel):
    """Who the e-mail comes from, as the applicant sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_address: str
    reply_to: str | None
    bank_name: str

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[1]


def _address(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return checked_address(value)
    except MalformedAddressError:
        raise ValueError("must be a plain e-mail address (name@domain)") from None


class MailSettings(ServiceSettings):
    """The adapter, the sender, the join's time limits and the key ring that opens contacts."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    adapter: Adapter = Field(
        default="outbox", description="outbox (a directory of .eml files), ses or smtp."
    )
    outbox_dir: Path = Field(
        default=Path("var/outbox"), description="Where the outbox adapter writes messages."
    )
    from_address: str = Field(
        default="decisions@bank.example", description="Envelope and header sender."
    )
    reply_to: str | None = Field(default=None, description="Where applicants' replies go.")
    bank_name: str = Field(
        default="Example Bank",
        min_length=1,
        max_length=100,
        pattern=r"^[^\r\n]+$",
        description="Display name of the sender and the name used in the text.",
    )
    ses_region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    ses_endpoint_url: str | None = Field(
        default=None, description="Override of the SES endpoint (a VPC endpoint, a test server)."
    )
    ses_configuration_set: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="SES configuration set."
    )
    smtp_host: str | None = Field(default=None, min_length=1, max_length=253)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: SmtpSecurity = Field(
        default="starttls", description="starttls (upgrade after connecting), ssl, or none."
    )
    smtp_username: str | None = Field(default=None, min_length=1)
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    send_lease_s: float = Field(
        default=60.0,
        gt=0,
        le=900,
        description="How long one send may take before another worker may repeat it.",
    )
    contact_ttl_days: float = Field(
        default=30.0, gt=0, le=365, description="How long a case's sealed contact is kept."
    )
    parked_ttl_days: float = Field(
        default=30.0, gt=0, le=365, description="How long a decision waits for its case."
    )
    pii_keys: PiiKeyRing

    _check_password = field_validator("smtp_password")(reject_placeholder)

    @field_validator("from_address", "reply_to")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        return _address(value)

    @field_validator("ses_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return check_endpoint_url(value)

    @model_validator(mode="after")
    def _adapter_complete(self) -> MailSettings:
        if self.adapter == "ses" and self.ses_region is None:
            raise ValueError("adapter 'ses' needs ses_region")
        if self.adapter == "smtp" and self.smtp_host is None:
            raise ValueError("adapter 'smtp' needs smtp_host")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set smtp_username and smtp_password together")
        if (
            self.smtp_password is not None
            and self.smtp_security == "none"
            and not is_loopback_host(self.smtp_host or "")
        ):
            raise ValueError("smtp_password over an unencrypted connection needs a loopback host")
        if self.adapter == "smtp" and self.smtp_timeout_s >= self.send_lease_s:
            raise ValueError("smtp_timeout_s must be shorter than send_lease_s")
        return self

    def letterhead(self) -> Letterhead:
        return Letterhead(
            from_address=self.from_address, reply_to=self.reply_to, bank_name=self.bank_name
        )

    def cipher(self) -> FieldCipher:
        """Opens sealed contacts; cannot seal (the notifier never writes personal data)."""
        return FieldCipher.from_base64(self.pii_keys, None)

    @property
    def contact_ttl_s(self) -> int:
        return int(self.contact_ttl_days * _DAY_S)

    @property
    def parked_ttl_s(self) -> int:
        return int(self.parked_ttl_days * _DAY_S)
