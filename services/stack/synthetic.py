"""Synthetic applicants for the demo, the end-to-end test and the pipeline benchmark.

Each application is a row of the generated population (household, employment, financials and
loan, so the outcomes spread as the historical data's do) worn by its own invented person:
name, date of birth that agrees with the stated age, SSN, e-mail, phone, address, device and
IP address all distinct, so the fraud stage's velocity checks see separate people rather than
one person applying thousands of times. Everything is fictitious: example.com addresses, the
IPv6 documentation range, SSNs from issued-looking ranges drawn per run.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from services.documents.synthetic.facts import FAMILY_NAMES, GIVEN_NAMES
from services.scoring.data.generator import generate
from services.scoring.data.submissions import submission_body, synthetic_ssn

_NAMESPACE: Final = uuid.UUID("0b6f4c1e-3d2a-4e8b-9c55-7a1d2e3f4b60")
_AREA_CODES: Final = ("212", "312", "415", "512", "617", "702", "808", "919", "206", "303")
_STREETS: Final = ("Elm Street", "Oak Avenue", "Maple Road", "Cedar Lane", "Birch Way")
_SSN_SPACE: Final = 500 * 99 * 9999


@dataclass(frozen=True)
class SyntheticApplication:
    application_id: str
    body: dict[str, Any]


def synthetic_applications(
    count: int, *, seed: int, run: str, now: datetime | None = None
) -> list[SyntheticApplication]:
    """``count`` distinct valid applications submitted ``now``; ``run`` keeps two runs' people
    apart."""
    if count < 1:
        raise ValueError("count must be at least 1")
    table = generate(count, seed)
    rng = random.Random(f"{seed}:{run}")  # noqa: S311 - fictitious people, not secrets
    now = now or datetime.now(UTC)
    today = now.date()
    ssn_offset = rng.randrange(_SSN_SPACE)
    applications = []
    for index in range(count):
        body = submission_body(table, index)
        application_id = str(uuid.uuid5(_NAMESPACE, f"{run}:application:{index}"))
        body["application_id"] = application_id
        body["customer_id"] = str(uuid.uuid5(_NAMESPACE, f"{run}:customer:{index}"))
        body["submitted_at"] = now.isoformat()
        age = int(table.columns["age"][index])
        body["household"]["age"] = age
        _dress(body, index, age, today, rng, run, (ssn_offset + index) % _SSN_SPACE)
        applications.append(SyntheticApplication(application_id, body))
    return applications


def _dress(
    body: dict[str, Any],
    index: int,
    age: int,
    today: date,
    rng: random.Random,
    run: str,
    ssn_index: int,
) -> None:
    given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
    identity = body["identity"]
    identity["name"] = {"given_name": given, "family_name": family}
    identity["date_of_birth"] = _born(today, age, rng).isoformat()
    identity["ssn"] = synthetic_ssn(ssn_index)
    identity["address"] = {
        **identity["address"],
        "line1": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
    }
    tag = f"{run}{index}".lower()
    body["contact"] = {
        "email": f"{given}.{family}.{tag}@example.com".lower(),
        "phone": _phone(index, rng),
    }
    body["device"] = {
        **body["device"],
        "device_id": f"dev-{tag}",
        "ip_address": f"2001:db8:{index >> 16:x}:{index & 0xFFFF:x}::{rng.randint(1, 0xFFFF):x}",
    }
    body.pop("documents", None)


def _born(today: date, age: int, rng: random.Random) -> date:
    """A birthday that makes the applicant exactly ``age`` today."""
    last_birthday = today - timedelta(days=rng.randint(1, 360))
    try:
        return last_birthday.replace(year=last_birthday.year - age)
    except ValueError:  # 29 February in a year without one
        return last_birthday.replace(year=last_birthday.year - age, day=28)


def _phone(index: int, rng: random.Random) -> str:
    exchange = rng.randint(200, 999)
    while exchange % 100 == 11 or exchange == 555:
        exchange = rng.randint(200, 999)
    line = (index * 7919 + rng.randint(0, 9)) % 10_000
    return f"+1{rng.choice(_AREA_CODES)}{exchange:03d}{line:04d}"
