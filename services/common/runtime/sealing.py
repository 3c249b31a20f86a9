"""Keeping raw personal data out of dead letters.

A record from a topic marked ``sensitive`` (it carries a raw SSN) that fails is stored
encrypted with AES-256-GCM under a key shared by the stages and the replay tool. The record's
coordinates are the associated data, so a sealed payload cannot be moved to another record.
Without a key the payload is withheld: the dead letter still says what failed and where, and
the submitter has to send the application again.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.common.contracts.dead_letter import PayloadProtection

_NONCE_BYTES = 12


class SealError(ValueError):
    """The key is malformed or a sealed payload does not open with it."""


class PayloadSealer:
    def __init__(self, key_b64: str) -> None:
        try:
            key = base64.b64decode(key_b64, validate=True)
        except binascii.Error as exc:
            raise SealError("the dead-letter sealing key must be base64") from exc
        if len(key) != 32:
            raise SealError("the dead-letter sealing key must be 32 bytes (base64 of 32 bytes)")
        self._aead = AESGCM(key)

    def seal(self, payload: bytes, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload, context.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed_b64: str, context: str) -> bytes:
        raw = base64.b64decode(sealed_b64)
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise SealError("sealed payload does not open with this key") from exc


def protect(
    payload: bytes, *, sensitive: bool, sealer: PayloadSealer | None, context: str
) -> tuple[str, PayloadProtection]:
    """(payload_b64, protection) for a dead letter."""
    if not sensitive:
        return base64.b64encode(payload).decode(), "none"
    if sealer is None:
        return "", "withheld"
    return sealer.seal(payload, context), "sealed"


def new_key() -> str:
    """A fresh base64 sealing key, for operators setting one up."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
