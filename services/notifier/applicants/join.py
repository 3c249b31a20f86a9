"""Joining each decision with its application's contact, in Redis, whichever comes first.

The decision event carries no contact; the case events carry it sealed. Every application is
scored (or passed on with ``early_outcome``) before it is decided, but the two topics are read
independently, so either can arrive first, and two stage instances may handle them at once.

* A **case** stores its still-sealed contact (with the language and the e-communications
  consent) under ``<prefix>:applicant-mail:{<id>}:contact`` and, in the same script, reads every
  decision parked for the application.
* A **decision**, in one script, returns the contact if it is there; otherwise it parks itself
  in the hash ``<prefix>:applicant-mail:{<id>}:parked`` (field: the revision).

Each script is atomic, so for any interleaving at least one side sees both halves: either the
decision found the contact, or it parked before the case's script ran and the case finds it.
Both sides may see them after a redelivery; ``Once`` makes the send itself happen once. A
parked decision is removed only after its e-mail was dealt with (``settle``), so a crash
between taking and sending loses nothing: the redelivered case finds it again. The hash tag
``{<id>}`` keeps both keys in one slot, should the store ever be a Redis Cluster.
"""

from __future__ import annotations

from typing import Final, Protocol
from uuid import UUID

import redis
from pydantic import BaseModel, ConfigDict, Field

from services.common.contracts import ApplicationCase
from services.common.contracts.applicant import PreferredLanguage
from services.common.contracts.decision import LoanDecision
from services.common.contracts.sealed import SealedString

_STORE_CONTACT: Final = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return redis.call('HGETALL', KEYS[2])
"""

_PARK_OR_TAKE: Final = """
local contact = redis.call('GET', KEYS[1])
if contact then
  return contact
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return false
"""


class StoredContact(BaseModel):
    """What the notifier keeps of a case: the contact still sealed, nothing in clear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_sealed: SealedString
    preferred_language: PreferredLanguage = None
    electronic_consent: bool = Field(
        description="Whether the applicant agreed to receive the decision electronically."
    )
    revision: int = Field(ge=0, description="Revision of the case it was taken from.")

    @classmethod
    def of(cls, case: ApplicationCase) -> StoredContact:
        application = case.application
        return cls(
            contact_sealed=application.contact.contact_sealed,
            preferred_language=application.contact.preferred_language,
            electronic_consent=application.consents.electronic_communications.granted,
            revision=case.revision,
        )


class DecisionJoin(Protocol):
    def offer_contact(self, application_id: UUID, contact: StoredContact) -> list[LoanDecision]:
        """Keep the contact; the decisions that were waiting for it (still parked)."""
        ...

    def offer_decision(self, decision: LoanDecision) -> StoredContact | None:
        """The contact if it is known; otherwise the decision is parked and None returned."""
        ...

    def settle(self, decision: LoanDecision) -> None:
        """The decision's e-mail is dealt with: stop keeping it parked."""
        ...


class RedisJoin:
    def __init__(
        self, client: redis.Redis, *, prefix: str, contact_ttl_s: int, parked_ttl_s: int
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:applicant-mail"
        self._contact_ttl_s = contact_ttl_s
        self._parked_ttl_s = parked_ttl_s
        self._store = client.register_script(_STORE_CONTACT)
        self._park_or_take = client.register_script(_PARK_OR_TAKE)

    def _keys(self, application_id: UUID) -> list[str]:
        base = f"{self._prefix}:{{{application_id}}}"
        return [f"{base}:contact", f"{base}:parked"]

    def offer_contact(self, application_id: UUID, contact: StoredContact) -> list[LoanDecision]:
        flat = self._store(
            keys=self._keys(application_id),
            args=[contact.model_dump_json(), self._contact_ttl_s],
        )
        values = list(flat)[1::2]  # HGETALL answers field, value, field, value...
        decisions = [LoanDecision.model_validate_json(value) for value in values]
        return sorted(decisions, key=lambda decision: decision.revision)

    def offer_decision(self, decision: LoanDecision) -> StoredContact | None:
        found = self._park_or_take(
            keys=self._keys(decision.application_id),
            args=[decision.revision, decision.model_dump_json(), self._parked_ttl_s],
        )
        if found is None:
            return None
        return StoredContact.model_validate_json(found)

    def settle(self, decision: LoanDecision) -> None:
        self._client.hdel(self._keys(decision.application_id)[1], str(decision.revision))

    def contact(self, application_id: UUID) -> StoredContact | None:
        """The stored contact, for operators and tests."""
        raw = self._client.get(self._keys(application_id)[0])
        return None if raw is None else StoredContact.model_validate_json(raw)

    def parked(self, application_id: UUID) -> list[int]:
        """Revisions of decisions waiting for this application's contact."""
        fields = self._client.hkeys(self._keys(application_id)[1])
        return sorted(int(field) for field in fields)
