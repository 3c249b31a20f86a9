"""Cases and a small watch list shared by the fraud stage's unit and integration tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from services.common.contracts import ApplicationReceived, DocumentsVerified, Topics
from services.common.contracts.application import SubmittedApplication
from services.common.runtime import Envelope
from services.common.testing.envelopes import case_envelope
from services.fraud.watchlist.models import Alias, WatchlistEntry
from tests.unit.contracts import samples

SANCTIONED_NAME = ("Viktor", "Drobnev")
SANCTIONED_DOB = "1971-04-12"

WATCHLIST = (
    WatchlistEntry(
        uid="sdn:9001",
        source="sdn",
        entity_type="individual",
        primary_name="DROBNEV, Viktor Arkadyevich",
        aliases=(Alias(name="Viktor DROBNEFF"),),
        programs=("SDGT",),
        birth_years=((1971, 1971),),
        countries=("russia",),
    ),
    WatchlistEntry(
        uid="sdn:9002",
        source="sdn",
        entity_type="individual",
        primary_name="HALVORSEN, Ingrid",
        birth_years=((1950, 1950),),
    ),
)


def case(
    application_id: int,
    *,
    name: tuple[str, str] = ("Dana", "Reyes"),
    date_of_birth: str = "1997-06-02",
    age: int = 27,
    device_id: str = "dev-42",
    ssn: str = "123456789",
    phone: str | None = None,
    email: str | None = None,
    submitted_offset_s: int = 0,
) -> DocumentsVerified:
    """The sample application as the documents stage passed it on, with the given identity.

    Contact details default to ones of this application alone, so only what a test sets up
    repeats across applications.
    """
    payload: dict[str, Any] = samples.submission_payload()
    payload["application_id"] = str(UUID(int=application_id))
    payload["identity"]["name"] = {"given_name": name[0], "family_name": name[1]}
    payload["identity"]["date_of_birth"] = date_of_birth
    payload["identity"]["ssn"] = ssn
    payload["household"]["age"] = age
    # The sample's number is in the fictional 555-01 range, which the identity checks flag.
    payload["contact"]["phone"] = phone or f"+1212867{application_id % 10_000:04d}"
    payload["contact"]["email"] = email or f"applicant{application_id}@example.org"
    payload["device"]["device_id"] = device_id
    submitted = samples.SUBMITTED_AT + timedelta(seconds=submitted_offset_s)
    payload["submitted_at"] = submitted.isoformat()
    application = samples.protector().protect(
        SubmittedApplication.model_validate(payload), UUID(int=application_id)
    )
    received = ApplicationReceived(
        application_id=UUID(int=application_id),
        received_at=submitted + timedelta(seconds=2),
        application=application,
    )
    return received.advance(DocumentsVerified, documents=samples.documents_result())


def envelope(value: DocumentsVerified, offset: int = 0) -> Envelope[Any]:
    return case_envelope(Topics.DOCUMENTS_VERIFIED, value, offset)
