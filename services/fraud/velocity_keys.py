"""Redis key names and keyed digests for the velocity checks.

E-mail addresses, phone numbers, IP addresses and device ids are personal data, and Redis keys
show up in ``SCAN``, ``MONITOR``, slow logs and memory reports. They are therefore never written
in clear: a key carries an HMAC-SHA256 of the normalised value instead. The key is secret, so the
digest cannot be reversed by hashing every plausible phone number. The same goes for the name and
date of birth that make up an identity fingerprint.

SSN tokens are already keyed hashes made at ingest, so they are used as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Final

MIN_HMAC_KEY_BYTES: Final = 32
DIGEST_HEX_CHARS: Final = 32  # 128 bits: collisions stay negligible at any realistic volume

_SEPARATOR: Final = "\x1f"  # cannot occur in normalised values, so inputs never run together
_NON_DIGITS: Final = re.compile(r"\D+")
_NOT_WORD: Final = re.compile(r"[\W_]+")
_KEY_PREFIX: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


class Dimension(StrEnum):
    """An identifier whose recent applications are counted."""

    SSN_TOKEN = "ssn_token"  # noqa: S105 - a field name, not a credential
    EMAIL = "email"
    PHONE = "phone"
    DEVICE_ID = "device_id"
    IP_ADDRESS = "ip_address"


# Short names keep keys compact; they are part of the stored layout, so never rename them.
_KEY_PART: Final[dict[Dimension, str]] = {
    Dimension.SSN_TOKEN: "ssn",
    Dimension.EMAIL: "email",
    Dimension.PHONE: "phone",
    Dimension.DEVICE_ID: "device",
    Dimension.IP_ADDRESS: "ip",
}


def normalise_email(value: str) -> str:
    """Case-folded address without a ``+tag`` in the local part.

    Tags let one mailbox pose as any number of addresses, the cheapest way around an e-mail
    velocity limit, so ``ann+1@x.org`` and ``Ann@X.org`` count as one address.
    """
    text = value.strip().casefold()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"


def normalise_phone(value: str) -> str:
    """Digits only, so that spacing, dashes and brackets do not make a new number."""
    return _NON_DIGITS.sub("", value)


def normalise_ip(value: str) -> str:
    """Canonical text of the address; an IPv4-mapped IPv6 address becomes its IPv4 form."""
    text = value.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        # Not an address: still counted, but only against the same text.
        return text.casefold()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def normalise_device_id(value: str) -> str:
    """Trimmed and case-folded: SDKs disagree on the case of hex and UUID device ids."""
    return value.strip().casefold()


def normalise_name(value: str) -> str:
    """Name reduced to what identifies the person rather than how it was typed.

    Case, accents, punctuation and spacing differ between channels for the same person; treating
    ``José O'Neil`` and ``jose oneil`` as two identities would flag honest applicants.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = letters.casefold().replace("'", "").replace("\u2019", "")
    return " ".join(_NOT_WORD.sub(" ", folded).split())


_NORMALISERS: Final = {
    Dimension.EMAIL: normalise_email,
    Dimension.PHONE: normalise_phone,
    Dimension.IP_ADDRESS: normalise_ip,
    Dimension.DEVICE_ID: normalise_device_id,
}


def check_hmac_key(key: bytes) -> bytes:
    """``key`` if it is long enough to keep the digests from being brute-forced."""
    if len(key) < MIN_HMAC_KEY_BYTES:
        raise ValueError(f"velocity HMAC key must be at least {MIN_HMAC_KEY_BYTES} bytes")
    return key


def keyed_digest(key: bytes, purpose: str, value: str) -> str:
    """Truncated hex HMAC-SHA256 of ``value``, separated by ``purpose``.

    The purpose keeps equal strings used for different things (an e-mail that is also someone's
    device id) from producing the same digest.
    """
    message = f"{purpose}{_SEPARATOR}{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:DIGEST_HEX_CHARS]


def identity_fingerprint(key: bytes, full_name: str, date_of_birth: date) -> str:
    """Keyed digest of the normalised full name and the date of birth."""
    value = f"{normalise_name(full_name)}{_SEPARATOR}{date_of_birth.isoformat()}"
    return keyed_digest(key, "identity", value)


class VelocityKeys:
    """Builds the Redis keys of the velocity checks under ``{key_prefix}:fraud:vel:``."""

    def __init__(self, *, key_prefix: str, hmac_key: bytes) -> None:
        if not _KEY_PREFIX.fullmatch(key_prefix):
            raise ValueError(
                "key_prefix must be 1-100 characters of letters, digits and . _ : - "
                "starting with a letter or digit"
            )
        self._hmac_key = check_hmac_key(hmac_key)
        self.namespace = f"{key_prefix}:fraud:vel:"

    def value_part(self, dimension: Dimension, raw: str | None) -> str | None:
        """What stands for ``raw`` in a key, or ``None`` when there is nothing to count."""
        if raw is None:
            return None
        if dimension is Dimension.SSN_TOKEN:
            return raw or None
        normalised = _NORMALISERS[dimension](raw)
        if not normalised:
            return None
        return keyed_digest(self._hmac_key, dimension.value, normalised)

    def applications(self, dimension: Dimension, value_part: str) -> str:
        """Sorted set of application ids (score: submission time) for one identifier."""
        return f"{self.namespace}app:{_KEY_PART[dimension]}:{value_part}"

    def ssns_on_device(self, device_part: str) -> str:
        """Sorted set of SSN tokens (score: latest time seen) for one device."""
        return f"{self.namespace}device-ssns:{device_part}"

    def identities_of_ssn(self, ssn_token: str) -> str:
        """Sorted set of identity fingerprints (score: latest time seen) for one SSN token."""
        return f"{self.namespace}ssn-identities:{ssn_token}"

    def fingerprint(self, full_name: str, date_of_birth: date) -> str:
        return identity_fingerprint(self._hmac_key, full_name, date_of_birth)
