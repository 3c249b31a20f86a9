"""Handling of the Social Security number, the one identifier that must never travel in clear.

Only the submission (what upstream bank systems send) carries the raw number. It is held in a
``SecretStr`` so ``repr``, ``str``, logging and a plain ``model_dump_json()`` all show a mask.
Writing the real digits requires asking for it: pass ``context=WIRE_CONTEXT`` to
``model_dump_json``/``model_dump``. Ingest replaces the number by a keyed hash (``ssn_token``)
and the last four digits before anything else sees the application.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, SecretStr, SerializationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

REVEAL_SECRETS: Final = "reveal_secrets"
"""Serialization context key that makes secret fields serialize their real value."""

WIRE_CONTEXT: Final[dict[str, Any]] = {REVEAL_SECRETS: True}
"""Context to pass when serializing a submission for Kafka or HTTP; never for logs."""

SSN_PATTERN: Final = r"^[0-9]{9}$"
SSN_TOKEN_PATTERN: Final = r"^[0-9a-f]{64}$"  # noqa: S105 - a regex, not a credential
SSN_LAST4_PATTERN: Final = r"^[0-9]{4}$"
MIN_TOKEN_KEY_BYTES: Final = 32

_SSN_RE: Final = re.compile(SSN_PATTERN)


def _validate_ssn(value: object) -> str:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    # Messages never echo the input: it is the very value we must not leak into logs.
    if not isinstance(raw, str) or not _SSN_RE.fullmatch(raw):
        raise PydanticCustomError("ssn_format", "SSN must be exactly 9 digits without separators")
    area, group, serial = raw[:3], raw[3:5], raw[5:]
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise PydanticCustomError("ssn_unissued", "SSN is in a range that is never issued")
    # Returned as text: SecretStr's own validator wraps it (and rejects non-text in JSON mode).
    return raw


RawSsn = Annotated[
    SecretStr,
    BeforeValidator(_validate_ssn),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": SSN_PATTERN,
            "writeOnly": True,
        }
    ),
]
"""A raw SSN held as a secret."""


def serialize_secret(value: SecretStr, info: SerializationInfo) -> str:
    """Serialize a secret masked unless the caller passed ``WIRE_CONTEXT``."""
    context = info.context
    if isinstance(context, dict) and context.get(REVEAL_SECRETS) is True:
        return value.get_secret_value()
    return str(value)


def tokenize_ssn(ssn: SecretStr, key: bytes) -> str:
    """Keyed hash of an SSN: equal numbers give equal tokens under one key, for matching.

    A plain hash would be reversible by enumerating the billion possible numbers; the key is
    what makes the token safe to store and to put on Kafka.
    """
    if len(key) < MIN_TOKEN_KEY_BYTES:
        raise ValueError(f"SSN token key must be at least {MIN_TOKEN_KEY_BYTES} bytes")
    digest = hmac.new(key, ssn.get_secret_value().encode("ascii"), hashlib.sha256)
    return digest.hexdigest()


def ssn_last4(ssn: SecretStr) -> str:
    """The last four digits, which applicants and agents use to confirm identity."""
    return ssn.get_secret_value()[-4:]
