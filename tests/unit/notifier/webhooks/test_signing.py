"""Webhook signatures: round trip, tampering, freshness, key rotation, the receiver helper."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest
from pydantic import SecretStr

from services.notifier.webhooks.signing import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    MAX_SIGNATURES,
    SIGNATURE_HEADER,
    SignatureError,
    Signer,
    UnknownSecretError,
    WebhookReceiver,
    compute_signature,
    parse_signature_header,
    signature_header,
    signed_payload,
    verify,
)

OLD = SecretStr("old-key-" + "o" * 32)
NEW = SecretStr("new-key-" + "n" * 32)
OTHER = SecretStr("someone-else-" + "x" * 32)
NOW = 1_750_000_000
Headers = dict[str, str]
BODY = orjson.dumps({"id": "evt-1", "kind": "decision", "data": {"outcome": "approved"}})


def signed(body: bytes = BODY, *, keys: tuple[str, ...] = ("new",), at: int = NOW) -> Headers:
    """Headers of a request signed at ``at`` (plus a fraction: timestamps are whole seconds)."""
    signer = Signer({"old": OLD, "new": NEW, "other": OTHER}, clock=lambda: at + 0.9)
    return signer.headers(keys, event_id="evt-1", delivery_id="dlv-1", body=body)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(
        NEW.get_secret_value().encode(), f"{NOW}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert signed_payload(NOW, BODY) == f"{NOW}.".encode() + BODY
    assert compute_signature(NEW, NOW, BODY) == expected
    assert signature_header([NEW], NOW, BODY) == f"t={NOW},v1={expected}"


def test_signer_headers_carry_whole_second_timestamp_and_ids() -> None:
    headers = signed()
    assert headers[SIGNATURE_HEADER] == signature_header([NEW], NOW, BODY)
    assert headers[EVENT_ID_HEADER] == "evt-1"
    assert headers[DELIVERY_ID_HEADER] == "dlv-1"


def test_round_trip() -> None:
    verified = verify(signed(), BODY, [NEW], now=NOW + 10)
    assert verified.event_id == "evt-1"
    assert verified.delivery_id == "dlv-1"
    assert verified.timestamp == NOW


def test_header_names_are_case_insensitive() -> None:
    headers = {name.lower(): value for name, value in signed().items()}
    assert verify(headers, BODY, [NEW], now=NOW).event_id == "evt-1"


@pytest.mark.parametrize(
    "body",
    [
        BODY + b" ",
        BODY.replace(b"approved", b"declined"),
        b"",
    ],
)
def test_tampered_body_is_rejected(body: bytes) -> None:
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(signed(), body, [NEW], now=NOW)


def test_wrong_key_is_rejected() -> None:
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(signed(), BODY, [OTHER], now=NOW)


def test_old_timestamp_is_rejected() -> None:
    headers = signed(at=NOW - 301)
    with pytest.raises(SignatureError, match="too old"):
        verify(headers, BODY, [NEW], now=NOW)
    assert verify(signed(at=NOW - 300), BODY, [NEW], now=NOW).timestamp == NOW - 300


def test_future_timestamp_is_rejected() -> None:
    with pytest.raises(SignatureError, match="future"):
        verify(signed(at=NOW + 301), BODY, [NEW], now=NOW)
    assert verify(signed(at=NOW + 300), BODY, [NEW], now=NOW).timestamp == NOW + 300


def test_tolerance_is_configurable() -> None:
    with pytest.raises(SignatureError, match="too old"):
        verify(signed(at=NOW - 31), BODY, [NEW], now=NOW, tolerance_s=30)


def test_a_moved_timestamp_breaks_the_signature() -> None:
    headers = signed(at=NOW - 1000)
    headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER].replace(f"t={NOW - 1000}", f"t={NOW}")
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(headers, BODY, [NEW], now=NOW)


def test_rotation_signs_with_every_key_and_either_key_verifies() -> None:
    headers = signed(keys=("new", "old"))
    parsed = parse_signature_header(headers[SIGNATURE_HEADER])
    assert parsed.signatures == (
        compute_signature(NEW, NOW, BODY),
        compute_signature(OLD, NOW, BODY),
    )
    assert verify(headers, BODY, [OLD], now=NOW).event_id == "evt-1"  # receiver not yet moved
    assert verify(headers, BODY, [NEW], now=NOW).event_id == "evt-1"  # receiver moved
    assert verify(headers, BODY, [OTHER, NEW], now=NOW).event_id == "evt-1"
    with pytest.raises(SignatureError):
        verify(headers, BODY, [OTHER], now=NOW)


def test_after_rotation_the_old_key_no_longer_verifies() -> None:
    with pytest.raises(SignatureError):
        verify(signed(keys=("new",)), BODY, [OLD], now=NOW)


def test_unknown_schemes_are_ignored() -> None:
    headers = signed()
    headers[SIGNATURE_HEADER] = f"v0=deadbeef,{headers[SIGNATURE_HEADER]},v2=abc"
    assert verify(headers, BODY, [NEW], now=NOW).event_id == "evt-1"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "malformed"),
        ("garbage", "malformed"),
        (f"v1={'0' * 64}", "no timestamp"),
        (f"t={NOW}", "no v1"),
        (f"t=abc,v1={'0' * 64}", "bad timestamp"),
        (f"t=-5,v1={'0' * 64}", "bad timestamp"),
        (f"t={NOW},t={NOW},v1={'0' * 64}", "bad timestamp"),
        (f"t={NOW}," + ",".join(["v1=00"] * (MAX_SIGNATURES + 1)), "too many"),
        ("t=1," + "x" * 5000, "too long"),
    ],
)
def test_malformed_signature_headers_are_rejected(header: str, message: str) -> None:
    headers = {SIGNATURE_HEADER: header, EVENT_ID_HEADER: "evt-1"}
    with pytest.raises(SignatureError, match=message):
        verify(headers, BODY, [NEW], now=NOW)


def test_missing_headers_are_rejected() -> None:
    headers = signed()
    with pytest.raises(SignatureError, match="Signature header is missing"):
        verify({EVENT_ID_HEADER: "evt-1"}, BODY, [NEW], now=NOW)
    del headers[EVENT_ID_HEADER]
    with pytest.raises(SignatureError, match="Event-Id header is missing"):
        verify(headers, BODY, [NEW], now=NOW)


def test_signer_refuses_an_unconfigured_key_and_hides_its_keys() -> None:
    signer = Signer({"new": NEW})
    with pytest.raises(UnknownSecretError, match="missing"):
        signer.headers(["missing"], event_id="e", delivery_id="d", body=b"")
    assert NEW.get_secret_value() not in repr(signer)
    assert "new" in repr(signer)


def test_signing_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signature_header([], NOW, BODY)
    with pytest.raises(ValueError, match="empty"):
        compute_signature("", NOW, BODY)


def test_receiver_accepts_once_then_flags_the_replay() -> None:
    receiver = WebhookReceiver([NEW], clock=lambda: NOW)
    first = receiver.receive(signed(), BODY)
    again = receiver.receive(signed(), BODY)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.request.event_id == "evt-1"


def test_receiver_refuses_an_event_id_header_that_disagrees_with_the_signed_body() -> None:
    receiver = WebhookReceiver([NEW], clock=lambda: NOW)
    headers = signed()
    headers[EVENT_ID_HEADER] = "evt-2"  # a replay dressed up as a new event
    with pytest.raises(SignatureError, match="does not match the signed body"):
        receiver.receive(headers, BODY)


def test_receiver_forgets_beyond_its_memory() -> None:
    receiver = WebhookReceiver([NEW], clock=lambda: NOW, remember=1)
    for event_id in ("a", "b"):
        body = orjson.dumps({"id": event_id})
        signer = Signer({"new": NEW}, clock=lambda: NOW)
        receiver.receive(
            signer.headers(["new"], event_id=event_id, delivery_id="d", body=body), body
        )
    body = orjson.dumps({"id": "a"})
    headers = Signer({"new": NEW}, clock=lambda: NOW).headers(
        ["new"], event_id="a", delivery_id="d", body=body
    )
    assert receiver.receive(headers, body).duplicate is False


def test_receiver_rejects_stale_requests() -> None:
    receiver = WebhookReceiver([NEW], clock=lambda: NOW + 3600)
    with pytest.raises(SignatureError, match="too old"):
        receiver.receive(signed(), BODY)
