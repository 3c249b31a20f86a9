"""Plain-value helpers behind the identity-consistency checks: ages, e-mail and phone shapes.

They know nothing about signals or severities; ``services.fraud.identity`` decides what a
finding means for fraud screening. Every explanation they return is fixed text that never
quotes the value it judges, because the values are the applicant's contact details.

Nothing here reads the clock or the network. The disposable-domain list is package data, read
once on first use and kept for the life of the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from services.common.contracts.primitives import EducationLevel

MIN_WORKING_AGE: Final = 14
"""Youngest age at which counting years of employment is plausible (the ingest rule too)."""

EDUCATION_MIN_AGE: Final[Mapping[EducationLevel, int]] = MappingProxyType(
    {
        # Early graduates finish at 16 in several US states; younger is a prodigy or an error.
        EducationLevel.HIGH_SCHOOL: 16,
        # High school at 17 or 18 plus three to four years of study; 19 leaves room for
        # accelerated programmes and credits earned in high school.
        EducationLevel.BACHELORS: 19,
        # One to two years after the bachelor's.
        EducationLevel.MASTERS: 21,
        # Three to five years after the bachelor's or master's.
        EducationLevel.PHD: 24,
    }
)
"""Youngest plausible age for each completed level. ``Other`` has no minimum: it covers
vocational certificates, associate degrees and unfinished studies, which any adult may hold."""

NANP_COUNTRIES: Final = frozenset({"US", "CA", "PR", "VI", "GU", "AS", "MP"})
"""Addresses whose phone numbers follow the North American Numbering Plan. The US territories
have their own ISO 3166 codes but share the +1 plan, so they are judged like the mainland."""

DOMAINS_PACKAGE: Final = "services.fraud.data"
DOMAINS_RESOURCE: Final = "disposable_domains.txt"

_DOMAIN_ENTRY: Final = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_PHONE_SEPARATORS: Final = str.maketrans("", "", " -.()")
_DIGITS: Final = re.compile(r"^[0-9]+$")
_E164_MIN_DIGITS: Final = 8
_E164_MAX_DIGITS: Final = 15
_NANP_DIGITS: Final = 10


def age_on(birth: date, day: date) -> int:
    """Whole years from ``birth`` to ``day``; the birthday counts on its own date.

    Negative when ``day`` is before ``birth``, so a date of birth in the future can never
    agree with a stated age.
    """
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


# --- e-mail ---------------------------------------------------------------------------------


def email_defect(email: str) -> str | None:
    """Why ``email`` cannot be a deliverable address, or None when its shape is sound.

    Only the shape is judged: whether the mailbox exists is for the notifier to find out.
    """
    if any(character.isspace() for character in email):
        return "contains whitespace"
    local, at, domain = email.rpartition("@")
    if not at:
        return "has no @"
    # Quoted local parts may legally hold an @, but no bank system accepts them, so a second
    # @ is far likelier to be a paste of two addresses than a real one.
    if "@" in local:
        return "has more than one @"
    if not local:
        return "has an empty local part"
    if "." not in domain:
        return "has a domain without a dot"
    if any(not label for label in domain.split(".")):
        return "has an empty label in its domain"
    return None


def email_domain(email: str) -> str:
    """The part after the last @, lower-cased, as mail routing compares it."""
    return email.rpartition("@")[2].lower()


def parse_domain_list(lines: Iterable[str]) -> frozenset[str]:
    """Domains from the list format: one a line, ``#`` comments and blank lines ignored.

    Raises ``ValueError`` on an entry that is not a lower-case domain name, so a broken list
    fails on first use instead of silently matching nothing.
    """
    domains: set[str] = set()
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not _DOMAIN_ENTRY.fullmatch(entry):
            raise ValueError(f"line {number} of the disposable-domain list is not a domain")
        domains.add(entry)
    return frozenset(domains)


@cache
def disposable_domains() -> frozenset[str]:
    """The packaged list of disposable-mail domains, read once."""
    text = (files(DOMAINS_PACKAGE) / DOMAINS_RESOURCE).read_text(encoding="utf-8")
    return parse_domain_list(text.splitlines())


def disposable_match(domain: str, listed: frozenset[str] | None = None) -> str | None:
    """The listed domain that ``domain`` equals or lies under, or None.

    Throwaway services hand out addresses on any subdomain of theirs, so ``x.mailinator.com``
    counts as ``mailinator.com``. The top-level label alone is never compared, so a list entry
    can never swallow a whole country or ``.com``.
    """
    names = disposable_domains() if listed is None else listed
    labels = domain.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in names:
            return candidate
    return None


# --- phone ----------------------------------------------------------------------------------


class PhoneIssue(StrEnum):
    INVALID = "invalid"
    """Cannot be dialled: wrong length, characters or numbering-plan rules."""
    FICTIONAL = "fictional"
    """In a range reserved for films and examples, so nobody can hold it."""
    FAKE_PATTERN = "fake_pattern"
    """Well formed, but a keyboard pattern such as one repeated digit or a run 0123..."""
    FOREIGN = "foreign"
    """A valid number from outside North America given with a North American address."""


@dataclass(frozen=True, slots=True)
class PhoneFinding:
    issue: PhoneIssue
    detail: str
    """Fixed explanation, never the number itself."""


def normalize_phone(phone: str) -> str:
    """Drop the separators people type (spaces, dashes, dots, parentheses)."""
    return phone.translate(_PHONE_SEPARATORS)


def phone_finding(phone: str, country: str) -> PhoneFinding | None:
    """What is wrong with ``phone`` for an applicant living in ``country``, or None.

    North American addresses (``NANP_COUNTRIES``) may give ten digits, ``1`` and ten digits,
    or ``+1`` and ten digits. Other addresses need E.164: ``+`` and 8 to 15 digits. A ``+1``
    number is held to the North American rules wherever the applicant lives, because those
    rules belong to the number, not to the address.
    """
    number = normalize_phone(phone)
    international = number.startswith("+")
    digits = number[1:] if international else number
    if not digits:
        return PhoneFinding(PhoneIssue.INVALID, "has no digits")
    if not _DIGITS.fullmatch(digits):
        return PhoneFinding(PhoneIssue.INVALID, "contains characters other than digits")
    if international and digits.startswith("1"):
        if len(digits) != _NANP_DIGITS + 1:
            return PhoneFinding(PhoneIssue.INVALID, "needs ten digits after the +1 code")
        return _nanp_finding(digits[1:])
    north_american = country in NANP_COUNTRIES
    if international:
        finding = _e164_finding(digits)
        if finding is None and north_american:
            return PhoneFinding(
                PhoneIssue.FOREIGN, "is from outside North America for a North American address"
            )
        return finding
    if not north_american:
        return PhoneFinding(PhoneIssue.INVALID, "lacks the + and country code of E.164")
    if len(digits) == _NANP_DIGITS:
        return _nanp_finding(digits)
    if len(digits) == _NANP_DIGITS + 1 and digits.startswith("1"):
        # The long-distance form people dial at home: trunk prefix 1, then the ten digits.
        return _nanp_finding(digits[1:])
    return PhoneFinding(PhoneIssue.INVALID, "is not a ten-digit North American number")


def _e164_finding(digits: str) -> PhoneFinding | None:
    if digits.startswith("0"):
        return PhoneFinding(PhoneIssue.INVALID, "has a country code starting with 0")
    if not _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS:
        return PhoneFinding(PhoneIssue.INVALID, "does not have the 8 to 15 digits of E.164")
    if _looks_fake(digits):
        return PhoneFinding(PhoneIssue.FAKE_PATTERN, "is a repeated or sequential digit pattern")
    return None


def _nanp_finding(ten: str) -> PhoneFinding | None:
    area, exchange, line = ten[:3], ten[3:6], ten[6:]
    if area[0] in "01":
        return PhoneFinding(PhoneIssue.INVALID, "has an area code starting with 0 or 1")
    # N11 codes (211, 411, 911, ...) are dialling shortcuts, never assigned as area codes or
    # exchanges.
    if area[1:] == "11":
        return PhoneFinding(PhoneIssue.INVALID, "has an N11 service code as area code")
    if exchange[0] in "01":
        return PhoneFinding(PhoneIssue.INVALID, "has an exchange starting with 0 or 1")
    if exchange[1:] == "11":
        return PhoneFinding(PhoneIssue.INVALID, "has an N11 service code as exchange")
    if exchange == "555" and line.startswith("01"):
        return PhoneFinding(PhoneIssue.FICTIONAL, "is in the 555-01XX range reserved for fiction")
    if _looks_fake(ten):
        return PhoneFinding(PhoneIssue.FAKE_PATTERN, "is a repeated or sequential digit pattern")
    return None


def _looks_fake(digits: str) -> bool:
    """One digit repeated, or a run going up or down by one (wrapping 9 to 0 and back)."""
    if len(set(digits)) == 1:
        return True
    steps = {(int(after) - int(before)) % 10 for before, after in pairwise(digits)}
    return steps in ({1}, {9})
