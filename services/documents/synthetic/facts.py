"""What the synthetic documents are drawn from: one applicant's facts, given or invented.

Everything a document prints that the application does not fix (employer address, EIN, bank,
account numbers) is drawn later from the seed, so the facts stay small and comparable.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from pydantic import Field

from services.common.contracts.applicant import PersonalDetails
from services.common.contracts.application import ApplicationData, SubmittedApplication
from services.common.contracts.base import EventModel


class ApplicantFacts(EventModel):
    full_name: str = Field(min_length=3, max_length=80, description="Given then family name.")
    date_of_birth: date
    address_line1: str = Field(min_length=1, max_length=80)
    city: str = Field(min_length=1, max_length=60)
    region: str = Field(pattern=r"^[A-Z]{2}$", description="US state, two letters.")
    postal_code: str = Field(pattern=r"^\d{5}$")
    ssn_last4: str = Field(pattern=r"^\d{4}$")
    employer_name: str = Field(min_length=1, max_length=80)
    annual_income: Decimal = Field(ge=0, decimal_places=2, description="As stated, gross.")
    employment_start: date
    application_date: date
    self_employed: bool = Field(
        default=False, description="Income shows on Form 1040 line 8, not on a W-2."
    )

    @property
    def address(self) -> str:
        """The one-line form the ground truth stores."""
        return f"{self.address_line1}, {self.city}, {self.region} {self.postal_code}"

    @property
    def tax_year(self) -> int:
        return self.application_date.year - 1


def seeded(seed: int) -> random.Random:
    """The generator every invented detail comes from; reproducibility, not secrecy, matters."""
    return random.Random(seed)  # noqa: S311


GIVEN_NAMES: Final = (
    "Dana", "Marcus", "Priya", "Elena", "Tomas", "Aisha", "Gareth", "Mei", "Jordan", "Lucia",
    "Owen", "Farah", "Nikolai", "Rosa", "Darnell", "Ingrid", "Kenji", "Amara", "Felix", "Noor",
)  # fmt: skip
FAMILY_NAMES: Final = (
    "Reyes", "Okafor", "Lindqvist", "Castellano", "Whitfield", "Nakamura", "Brennan", "Haddad",
    "Kowalski", "Abernathy", "Delgado", "Fairbanks", "Mbeki", "Thornton", "Vasquez", "Ellery",
)  # fmt: skip
STREETS: Final = (
    "Elm Street", "Juniper Lane", "Harbor View Road", "Maple Avenue", "Quarry Hill Drive",
    "Cedar Court", "Lakeshore Boulevard", "Orchard Way", "Willow Bend", "Foundry Street",
)  # fmt: skip
# Invented towns with a plausible state and ZIP; no real address is meant.
PLACES: Final = (
    ("Springfield", "IL", "62701"), ("Bramwell", "OH", "43215"), ("Cedar Falls", "IA", "50613"),
    ("Marlow", "TX", "75201"), ("Pine Ridge", "CO", "80203"), ("Ashford", "GA", "30303"),
    ("Riverton", "WA", "98101"), ("Kingsport", "NY", "12207"), ("Halden", "AZ", "85004"),
    ("Fairmont", "NC", "27601"),
)  # fmt: skip
EMPLOYER_WORDS: Final = (
    ("Northwind", "Bluegate", "Ironleaf", "Summit Ridge", "Copperline", "Lakeview", "Harbor"),
    ("Logistics", "Health Partners", "Foods", "Engineering", "Software", "Retail Group", "Labs"),
    ("LLC", "Inc.", "Co.", "Corp."),
)


def invent_facts(
    rng: random.Random,
    *,
    annual_income: Decimal,
    age: int,
    years_employed: int,
    application_date: date,
    self_employed: bool = False,
) -> ApplicantFacts:
    """Facts for a fictitious person with the given financial shape."""
    city, region, postal = rng.choice(PLACES)
    born = application_date - timedelta(days=365 * age + rng.randint(15, 350))
    started = application_date - timedelta(days=365 * years_employed + rng.randint(20, 330))
    words = [rng.choice(options) for options in EMPLOYER_WORDS]
    return ApplicantFacts(
        full_name=f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}",
        date_of_birth=born,
        address_line1=f"{rng.randint(2, 9899)} {rng.choice(STREETS)}",
        city=city,
        region=region,
        postal_code=postal,
        ssn_last4=f"{rng.randint(1, 9999):04d}",
        employer_name=" ".join(words),
        annual_income=annual_income.quantize(Decimal("0.01")),
        employment_start=max(started, born + timedelta(days=365 * 16)),
        application_date=application_date,
        self_employed=self_employed,
    )


def facts_from_row(
    row: Mapping[str, object], *, seed: int, application_date: date = date(2025, 3, 14)
) -> ApplicantFacts:
    """Facts for one row of the historical table (``services.scoring.data.generator``
    columns), with an invented person; incomes too small to document are raised to a floor."""
    rng = seeded(seed)
    income = max(Decimal(str(row["annual_income"])), Decimal("18000"))
    return invent_facts(
        rng,
        annual_income=income,
        age=int(str(row["age"])),
        years_employed=int(str(row["years_employed"])),
        application_date=application_date,
        self_employed=str(row.get("employment_status")) == "Self-Employed",
    )


def facts_from_application(
    application: SubmittedApplication | ApplicationData,
    *,
    seed: int,
    details: PersonalDetails | None = None,
    ssn_last4: str | None = None,
    application_date: date | None = None,
) -> ApplicantFacts:
    """Facts for a submitted application, or for application data plus its opened personal
    details (a received application carries them sealed); what is missing is invented."""
    rng = seeded(seed)
    if isinstance(application, SubmittedApplication):
        details = details or application.identity.personal_details()
        ssn_last4 = ssn_last4 or application.identity.ssn.get_secret_value()[-4:]
        application_date = application_date or application.submitted_at.date()
    when = application_date or date(2025, 3, 14)
    invented = invent_facts(
        rng,
        annual_income=Decimal(str(application.financials.annual_income)),
        age=application.household.age,
        years_employed=application.employment.years_employed,
        application_date=when,
        self_employed=application.employment.employment_status == "Self-Employed",
    )
    updates: dict[str, object] = {}
    if application.employment.employer_name:
        updates["employer_name"] = application.employment.employer_name
    if ssn_last4:
        updates["ssn_last4"] = ssn_last4
    if details is not None:
        name = details.name
        address = details.address
        updates |= {
            "full_name": " ".join(
                part for part in (name.given_name, name.middle_name, name.family_name) if part
            ),
            "date_of_birth": details.date_of_birth,
            "address_line1": address.line1,
            "city": address.city,
            "region": (address.region or invented.region).upper()[:2],
            "postal_code": address.postal_code[:5],
        }
    return ApplicantFacts.model_validate(invented.model_dump() | updates)
