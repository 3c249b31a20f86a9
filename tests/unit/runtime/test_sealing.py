"""Dead letters of topics carrying raw personal data are sealed or withheld, never plain."""

from __future__ import annotations

import base64

import pytest
from confluent_kafka import Message

from services.common.runtime.codec import Undecodable, dead_letter, decode
from services.common.runtime.relay import relay_topic
from services.common.runtime.replay import payload_of
from services.common.runtime.sealing import PayloadSealer, SealError, new_key, protect

RAW = b'{"identity": {"ssn": "123456789"}, "broken": '


def failed_record() -> Undecodable:
    message = Message(
        topic="loan.applications.submitted.v1",
        partition=1,
        offset=9,
        key=b"a-1",
        value=RAW,
        timestamp=(1, 1),
    )
    result = decode(message, relay_topic("loan.applications.submitted.v1", writer="upstream"))
    assert isinstance(result, Undecodable)
    return result


def letter(sealer: PayloadSealer | None, sensitive: bool = True):  # type: ignore[no-untyped-def]
    failure = failed_record()
    return dead_letter(
        message=failure.message,
        stage="ingest",
        kind=failure.kind,
        error=failure.error,
        attempts=1,
        sensitive=sensitive,
        sealer=sealer,
    )


def test_sensitive_payload_is_sealed_and_opens_only_with_the_key_for_that_record() -> None:
    sealer = PayloadSealer(new_key())
    record = letter(sealer)
    assert record.payload_protection == "sealed"
    assert b"123456789" not in base64.b64decode(record.payload_b64)
    assert "123456789" not in record.model_dump_json()
    assert payload_of(record, sealer) == RAW
    with pytest.raises(SealError):
        payload_of(record, PayloadSealer(new_key()))
    moved = record.model_copy(
        update={"original": record.original.model_copy(update={"offset": 10})}
    )
    with pytest.raises(SealError):
        payload_of(moved, sealer)


def test_without_a_key_the_sensitive_payload_is_withheld() -> None:
    record = letter(None)
    assert (record.payload_protection, record.payload_b64) == ("withheld", "")
    assert payload_of(record, None) is None


def test_ordinary_topics_keep_the_exact_bytes() -> None:
    record = letter(None, sensitive=False)
    assert record.payload_protection == "none"
    assert payload_of(record, None) == RAW


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(SealError):
        PayloadSealer(key)


def test_protect_never_returns_plain_text_for_sensitive_values() -> None:
    sealed, kind = protect(b"secret", sensitive=True, sealer=PayloadSealer(new_key()), context="c")
    assert kind == "sealed" and b"secret" not in base64.b64decode(sealed)
