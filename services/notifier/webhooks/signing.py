"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}.{body}"``, and their verification.

The scheme (``v1``):

* ``timestamp`` is the Unix time of the attempt in whole seconds, as ASCII decimal digits;
* the signed message is the bytes ``timestamp``, one ``.`` (0x2E), then the request body exactly
  as sent (the raw bytes, before any JSON parsing);
* the key is the UTF-8 encoding of the shared secret string, used as is (not base64-decoded);
* the signature is the lower-case hex HMAC-SHA256 of the message under the key.

Headers of every request:

* ``X-Prescreen-Signature: t=<timestamp>,v1=<hex>[,v1=<hex>...]`` — one ``v1`` per active key:
  while a key is being rotated the request is signed with the old and the new key, and a
  receiver accepts it if *any* ``v1`` matches *any* key it holds. Unknown schemes (``v0=``,
  ``v2=``) are ignored, so a new scheme can be introduced alongside.
* ``X-Prescreen-Event-Id`` — the same for every attempt and every subscriber of one event;
  receivers deduplicate on it (it is also the ``id`` of the JSON envelope, which *is* signed).
* ``X-Prescreen-Delivery-Id`` — new for every attempt; for the receiver's logs.

A receiver rejects a timestamp further than ``tolerance_s`` (300 s) in the past *or* the future,
compares in constant time, and remembers event ids to drop replays within that window.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

import orjson
from pydantic import SecretStr

from services.common.errors import PermanentError

SIGNATURE_HEADER: Final = "X-Prescreen-Signature"
EVENT_ID_HEADER: Final = "X-Prescreen-Event-Id"
DELIVERY_ID_HEADER: Final = "X-Prescreen-Delivery-Id"
SCHEME: Final = "v1"
DEFAULT_TOLERANCE_S: Final = 300
MAX_SIGNATURES: Final = 8
"""More ``v1`` entries than this in one header are refused (bounds the work of a receiver)."""
_MAX_HEADER_LENGTH: Final = 4096

Secret: TypeAlias = SecretStr | str | bytes


class SignatureError(ValueError):
    """The request is not authentically ours, or not fresh; the reason names no secret."""


class UnknownSecretError(PermanentError):
    """A subscription names a signing key that is not configured."""


def _key(secret: Secret) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise ValueError("a signing secret must not be empty")
    return secret


def signed_payload(timestamp: int, body: bytes) -> bytes:
    """The exact bytes that are signed: ``b"<timestamp>." + body``."""
    if timestamp < 0:
        raise ValueError("timestamp must not be negative")
    return str(int(timestamp)).encode("ascii") + b"." + body


def compute_signature(secret: Secret, timestamp: int, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of ``signed_payload(timestamp, body)``."""
    return hmac.new(_key(secret), signed_payload(timestamp, body), hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[Secret], timestamp: int, body: bytes) -> str:
    """``t=<timestamp>,v1=<hex>[,v1=<hex>...]``, one ``v1`` per secret, in order."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    if len(secrets) > MAX_SIGNATURES:
        raise ValueError(f"at most {MAX_SIGNATURES} signatures per request")
    parts = [f"t={int(timestamp)}"]
    parts.extend(f"{SCHEME}={compute_signature(s, timestamp, body)}" for s in secrets)
    return ",".join(parts)


@dataclass(frozen=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]


def parse_signature_header(value: str) -> ParsedSignature:
    """The timestamp and the ``v1`` signatures of a signature header; ``SignatureError`` if bad."""
    if len(value) > _MAX_HEADER_LENGTH:
        raise SignatureError("signature header is too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in value.split(","):
        name, sep, content = item.strip().partition("=")
        if not sep:
            raise SignatureError("signature header is malformed")
        if name == "t":
            if timestamp is not None or not (content.isascii() and content.isdigit()):
                raise SignatureError("signature header has a bad timestamp")
            timestamp = int(content)
        elif name == SCHEME:
            signatures.append(content.lower())
    if timestamp is None:
        raise SignatureError("signature header has no timestamp")
    if not signatures:
        raise SignatureError(f"signature header has no {SCHEME} signature")
    if len(signatures) > MAX_SIGNATURES:
        raise SignatureError("signature header has too many signatures")
    return ParsedSignature(timestamp, tuple(signatures))


@dataclass(frozen=True)
class VerifiedRequest:
    """What a receiver learns from a request whose signature checked out."""

    event_id: str
    delivery_id: str | None
    timestamp: int


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[Secret],
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> VerifiedRequest:
    """Check a received webhook: signature by any of ``secrets``, timestamp within tolerance.

    ``body`` is the raw request body; ``now`` the receiver's Unix time. Raises
    ``SignatureError``. Replays inside the tolerance window pass this check: drop them by event
    id (``WebhookReceiver`` does).
    """
    received = _lower_keys(headers)
    header = received.get(SIGNATURE_HEADER.lower())
    if header is None:
        raise SignatureError(f"{SIGNATURE_HEADER} header is missing")
    event_id = received.get(EVENT_ID_HEADER.lower(), "").strip()
    if not event_id:
        raise SignatureError(f"{EVENT_ID_HEADER} header is missing")
    parsed = parse_signature_header(header)
    if parsed.timestamp < now - tolerance_s:
        raise SignatureError("signature timestamp is too old")
    if parsed.timestamp > now + tolerance_s:
        raise SignatureError("signature timestamp is in the future")
    expected = [compute_signature(s, parsed.timestamp, body).encode() for s in secrets]
    if not expected:
        raise ValueError("no secrets to verify with")
    matched = False
    for candidate in parsed.signatures:
        given = candidate.encode("ascii", "replace")
        for digest in expected:
            # No early exit: the time taken does not depend on which pair matched.
            matched |= hmac.compare_digest(given, digest)
    if not matched:
        raise SignatureError("no signature matches")
    return VerifiedRequest(
        event_id=event_id,
        delivery_id=received.get(DELIVERY_ID_HEADER.lower()),
        timestamp=parsed.timestamp,
    )


class Signer:
    """Signs outgoing webhooks with the keys named by a subscription.

    ``secrets`` maps secret id -> secret (``PRESCREEN_NOTIFIER_WEBHOOK_SECRETS``); the mapping
    is never printed by ``repr``.
    """

    def __init__(
        self, secrets: Mapping[str, SecretStr], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._secrets = dict(secrets)
        self._clock = clock

    def __repr__(self) -> str:
        return f"Signer(secret_ids={sorted(self._secrets)})"

    def headers(
        self, secret_ids: Sequence[str], *, event_id: str, delivery_id: str, body: bytes
    ) -> dict[str, str]:
        """The signature, event id and delivery id headers for one attempt, timestamped now."""
        missing = [secret_id for secret_id in secret_ids if secret_id not in self._secrets]
        if missing:
            raise UnknownSecretError(f"signing key(s) {missing} are not configured")
        timestamp = int(self._clock())
        secrets = [self._secrets[secret_id] for secret_id in secret_ids]
        return {
            SIGNATURE_HEADER: signature_header(secrets, timestamp, body),
            EVENT_ID_HEADER: event_id,
            DELIVERY_ID_HEADER: delivery_id,
        }


@dataclass(frozen=True)
class Received:
    """A verified request as the receiver helper saw it."""

    request: VerifiedRequest
    duplicate: bool


class WebhookReceiver:
    """A minimal receiver-side check, for tests and as a reference for subscribers.

    Verifies the signature and freshness, checks that the signed JSON envelope (if the body is
    one) carries the same ``id`` as ``X-Prescreen-Event-Id`` — that header is not signed on its
    own — and flags an event id seen before as a duplicate. It remembers the last ``remember``
    event ids in memory; a real receiver keeps them in durable storage.
    """

    def __init__(
        self,
        secrets: Iterable[Secret],
        *,
        tolerance_s: float = DEFAULT_TOLERANCE_S,
        clock: Callable[[], float] = time.time,
        remember: int = 10_000,
    ) -> None:
        self._secrets = tuple(secrets)
        if not self._secrets:
            raise ValueError("a receiver needs at least one secret")
        self._tolerance_s = tolerance_s
        self._clock = clock
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"WebhookReceiver(secrets={len(self._secrets)}, remembered={len(self._seen)})"

    def receive(self, headers: Mapping[str, str], body: bytes) -> Received:
        """Verify one request; ``SignatureError`` if it is not authentic or fresh."""
        request = verify(headers, body, self._secrets, self._clock(), self._tolerance_s)
        _check_envelope_id(body, request.event_id)
        duplicate = request.event_id in self._seen
        self._seen[request.event_id] = None
        self._seen.move_to_end(request.event_id)
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return Received(request, duplicate)


def _check_envelope_id(body: bytes, event_id: str) -> None:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    if isinstance(envelope, dict) and "id" in envelope and envelope["id"] != event_id:
        raise SignatureError(f"{EVENT_ID_HEADER} does not match the signed body")
