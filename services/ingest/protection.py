"""Turning a validated submission into the application every later event carries.

The SSN becomes a keyed token and its last four digits; name, date of birth, addresses, e-mail
and phone are sealed with the field cipher, bound to the application id and the field name.
Nothing else changes, so stages decide on exactly the figures the applicant gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.common.contracts import (
    CONTACT_SEALED_FIELD,
    PERSONAL_SEALED_FIELD,
    ProtectedContact,
    ProtectedIdentity,
    ReceivedApplication,
    SubmittedApplication,
)
from services.common.contracts.pii import MIN_TOKEN_KEY_BYTES, ssn_last4, tokenize_ssn
from services.common.fieldcrypto import FieldCipher
from services.ingest.settings import IngestSettings

# Fields copied as they are: everything but what is replaced below, and the submitter's id
# (the case carries the application id itself).
_REPLACED = frozenset({"identity", "contact", "application_id"})
_COPIED = tuple(name for name in SubmittedApplication.model_fields if name not in _REPLACED)


@dataclass(frozen=True, slots=True)
class Protector:
    """The keys ingest protects personal data with."""

    cipher: FieldCipher
    token_key: bytes
    token_key_id: str

    def __post_init__(self) -> None:
        if len(self.token_key) < MIN_TOKEN_KEY_BYTES:
            raise ValueError(f"the SSN token key must be at least {MIN_TOKEN_KEY_BYTES} bytes")
        if self.cipher.active_key_id is None:
            raise ValueError("ingest seals personal data: the cipher needs an active key")

    def __repr__(self) -> str:
        # The dataclass default would print the token key.
        return f"Protector(cipher={self.cipher!r}, token_key_id={self.token_key_id!r})"

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Protector:
        return cls(
            cipher=FieldCipher.from_base64(settings.pii_keys, settings.pii_active_key_id),
            token_key=settings.token_key,
            token_key_id=settings.ssn_token_key_id,
        )

    def protect(
        self, submission: SubmittedApplication, application_id: UUID
    ) -> ReceivedApplication:
        """``submission`` as ingest publishes it for ``application_id``."""
        identity = submission.identity
        protected_identity = ProtectedIdentity(
            personal_sealed=self.cipher.seal_model(
                identity.personal_details(),
                application_id=application_id,
                field=PERSONAL_SEALED_FIELD,
            ),
            citizenship=identity.citizenship,
            residency_status=identity.residency_status,
            ssn_token=tokenize_ssn(identity.ssn, self.token_key),
            ssn_last4=ssn_last4(identity.ssn),
            ssn_token_key_id=self.token_key_id,
        )
        contact = ProtectedContact(
            contact_sealed=self.cipher.seal_model(
                submission.contact.details(),
                application_id=application_id,
                field=CONTACT_SEALED_FIELD,
            ),
            preferred_language=submission.contact.preferred_language,
        )
        # Nested models are passed as instances: validated once already, not re-validated.
        copied = {name: getattr(submission, name) for name in _COPIED}
        return ReceivedApplication(**copied, identity=protected_identity, contact=contact)
