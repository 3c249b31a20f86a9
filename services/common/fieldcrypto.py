"""Field-level encryption of personal data inside events.

Kafka topics are read by several services, kept for days and copied to dead letters, so names,
dates of birth, addresses, e-mail addresses and phone numbers travel sealed inside the event:
AES-256-GCM under a key from a key ring, in the string form ``v1.<key id>.<base64url(nonce ||
ciphertext)>`` (``services.common.contracts.sealed``). Only services holding the key ring can
open them; every other consumer sees an opaque string.

- **Rotation.** The ring holds every key still needed to open old events and names one active
  key for sealing. The key id travels in clear, so a reader picks the right key without trying
  each one; retiring a key means dropping it from the ring once no retained event uses it.
- **Binding.** The associated data holds the format version, the key id, the application id and
  the field name. A sealed value copied into another application or another field does not open,
  so a consumer cannot be tricked into attributing one applicant's identity to another.
- **Nonces.** 96-bit random nonces: with one key, NIST's 2^32 message bound is far beyond the
  ring's expected lifetime; rotate the active key long before it.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from typing import Any, Final, TypeVar
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import from_json, to_json

from services.common.contracts.sealed import KEY_ID_PATTERN, SEALED_VERSION

__all__ = [
    "FieldCipher",
    "FieldCryptoError",
    "KeyRingError",
    "SealedValueError",
    "UnknownKeyError",
    "decode_key",
    "new_key",
]

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_KEY_ID_RE: Final = re.compile(KEY_ID_PATTERN)
_AD_LABEL: Final = b"loan-prescreen/field"

ModelT = TypeVar("ModelT", bound=BaseModel)


class FieldCryptoError(ValueError):
    """Base of every field-encryption error. Messages never contain plaintext."""


class KeyRingError(FieldCryptoError):
    """The key ring is misconfigured: a malformed key or id, or no such active key."""


class UnknownKeyError(FieldCryptoError):
    """A sealed value names a key id the ring does not hold (retired, or another ring)."""


class SealedValueError(FieldCryptoError):
    """A sealed value is malformed, was tampered with, or belongs to another application or
    field."""


def new_key() -> str:
    """A fresh key, base64, as the settings expect it."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def decode_key(key_id: str, encoded: str | SecretStr) -> bytes:
    """The 32 key bytes of a base64 key, or ``KeyRingError`` naming the key id (never the key)."""
    text = encoded.get_secret_value() if isinstance(encoded, SecretStr) else encoded
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyRingError(f"key {key_id!r} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes (base64 of {KEY_BYTES})")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def _associated_data(key_id: str, application_id: UUID | str, field: str) -> bytes:
    # NUL separators: none of the parts can contain one (key ids and UUIDs are restricted, and
    # field names are code constants), so two different tuples never give the same bytes.
    parts = (_AD_LABEL, SEALED_VERSION.encode(), key_id.encode(), str(application_id).encode())
    return b"\x00".join((*parts, field.encode()))


class FieldCipher:
    """Seals and opens personal fields with a key ring: one active key, all keys for opening.

    ``active_key_id=None`` gives a cipher that can only open, for services that read personal
    data but never write it.
    """

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str | None) -> None:
        if not keys:
            raise KeyRingError("the key ring is empty")
        for key_id, key in keys.items():
            if not _KEY_ID_RE.fullmatch(key_id):
                raise KeyRingError(f"key id {key_id!r} must match {KEY_ID_PATTERN}")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        if active_key_id is not None and active_key_id not in keys:
            raise KeyRingError(f"active key {active_key_id!r} is not in the key ring")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    @classmethod
    def from_base64(
        cls, keys: Mapping[str, str | SecretStr], active_key_id: str | None
    ) -> FieldCipher:
        """A cipher from base64 keys, as they come from settings."""
        return cls({key_id: decode_key(key_id, key) for key_id, key in keys.items()}, active_key_id)

    @property
    def active_key_id(self) -> str | None:
        return self._active

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._aeads)

    def __repr__(self) -> str:
        return f"FieldCipher(key_ids={sorted(self._aeads)}, active={self._active!r})"

    # -- bytes ---------------------------------------------------------------------------

    def seal(self, plaintext: bytes, *, application_id: UUID | str, field: str) -> str:
        """``plaintext`` sealed under the active key for this application and field."""
        if self._active is None:
            raise KeyRingError("this cipher has no active key; it can only open")
        nonce = os.urandom(NONCE_BYTES)
        ad = _associated_data(self._active, application_id, field)
        ciphertext = self._aeads[self._active].encrypt(nonce, plaintext, ad)
        return f"{SEALED_VERSION}.{self._active}.{_b64url(nonce + ciphertext)}"

    def open(self, sealed: str, *, application_id: UUID | str, field: str) -> bytes:
        """The plaintext of ``sealed``, if it was sealed for this application and field."""
        key_id, body = _split(sealed)
        aead = self._aeads.get(key_id)
        if aead is None:
            raise UnknownKeyError(f"no key {key_id!r} in the key ring (have {sorted(self._aeads)})")
        try:
            raw = _unb64url(body)
        except (binascii.Error, ValueError) as exc:
            raise SealedValueError("sealed value is not valid base64url") from exc
        if len(raw) < NONCE_BYTES + _TAG_BYTES:
            raise SealedValueError("sealed value is too short")
        ad = _associated_data(key_id, application_id, field)
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ad)
        except InvalidTag as exc:
            raise SealedValueError(
                f"sealed {field!r} does not open: tampered, or sealed for another application "
                "or field"
            ) from exc

    # -- JSON values and models ----------------------------------------------------------

    def seal_json(self, value: Any, *, application_id: UUID | str, field: str) -> str:
        """Any JSON-serialisable value (pydantic models, dates and UUIDs included), sealed."""
        return self.seal(to_json(value), application_id=application_id, field=field)

    def open_json(self, sealed: str, *, application_id: UUID | str, field: str) -> Any:
        """The JSON value of ``sealed`` as plain Python data (dicts, lists, strings...)."""
        plaintext = self.open(sealed, application_id=application_id, field=field)
        try:
            return from_json(plaintext)
        except ValueError as exc:
            raise SealedValueError(f"sealed {field!r} does not hold JSON") from exc

    def seal_model(self, value: BaseModel, *, application_id: UUID | str, field: str) -> str:
        """A model as its JSON, sealed. Secrets stay masked: seal secrets as plain values."""
        plaintext = value.model_dump_json().encode()
        return self.seal(plaintext, application_id=application_id, field=field)

    def open_model(
        self, sealed: str, model: type[ModelT], *, application_id: UUID | str, field: str
    ) -> ModelT:
        """``sealed`` opened and validated as ``model``."""
        plaintext = self.open(sealed, application_id=application_id, field=field)
        try:
            return model.model_validate_json(plaintext)
        except ValidationError as exc:
            # Only the count: the errors of a personal model would name what it holds.
            raise SealedValueError(
                f"sealed {field!r} is not a valid {model.__name__} ({exc.error_count()} errors)"
            ) from None


def _split(sealed: str) -> tuple[str, str]:
    """(key id, body) of a sealed value of the supported version."""
    parts = sealed.split(".")
    if len(parts) != 3:
        raise SealedValueError("sealed value must look like v1.<key id>.<data>")
    version, key_id, body = parts
    if version != SEALED_VERSION:
        raise SealedValueError(f"unsupported sealed value version {version!r}")
    if not _KEY_ID_RE.fullmatch(key_id):
        raise SealedValueError("sealed value has a malformed key id")
    return key_id, body
