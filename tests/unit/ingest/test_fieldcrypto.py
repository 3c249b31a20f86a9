from __future__ import annotations

import base64
import re
from datetime import date
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from services.common.contracts import SEALED_PATTERN
from services.common.fieldcrypto import (
    FieldCipher,
    FieldCryptoError,
    KeyRingError,
    SealedValueError,
    UnknownKeyError,
    decode_key,
    new_key,
)

APP = UUID("5f1b9f3e-6a55-4b8e-9a39-0c2f0c1d7e11")
OTHER_APP = UUID("00000000-0000-4000-8000-000000000001")
K1 = b"1" * 32
K2 = b"2" * 32


class Person(BaseModel):
    name: str
    born: date


def cipher(active: str | None = "k1") -> FieldCipher:
    return FieldCipher({"k1": K1, "k2": K2}, active)


def test_sealed_value_has_the_documented_form_and_opens() -> None:
    sealed = cipher().seal(b"Dana Reyes", application_id=APP, field="identity.name")
    assert re.fullmatch(SEALED_PATTERN, sealed)
    version, key_id, body = sealed.split(".")
    assert (version, key_id) == ("v1", "k1")
    assert "=" not in body and "Dana" not in sealed
    assert cipher().open(sealed, application_id=APP, field="identity.name") == b"Dana Reyes"


def test_each_seal_uses_a_fresh_nonce() -> None:
    one = cipher().seal(b"x", application_id=APP, field="f")
    two = cipher().seal(b"x", application_id=APP, field="f")
    assert one != two


def test_a_value_opens_only_for_its_application_and_field() -> None:
    sealed = cipher().seal(b"secret", application_id=APP, field="identity.personal_sealed")
    with pytest.raises(SealedValueError, match="another application or field"):
        cipher().open(sealed, application_id=OTHER_APP, field="identity.personal_sealed")
    with pytest.raises(SealedValueError):
        cipher().open(sealed, application_id=APP, field="contact.contact_sealed")


def test_tampering_is_detected() -> None:
    sealed = cipher().seal(b"secret", application_id=APP, field="f")
    prefix, body = sealed.rsplit(".", 1)
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(SealedValueError):
        cipher().open(f"{prefix}.{flipped}", application_id=APP, field="f")
    # Relabelling the key id is tampering too: the key id is part of the associated data.
    with pytest.raises(SealedValueError):
        cipher().open(f"v1.k2.{body}", application_id=APP, field="f")


@pytest.mark.parametrize(
    "malformed",
    ["", "plain text", "v1.k1", "v2.k1." + "A" * 40, "v1.k.1." + "A" * 40, "v1.k1.A", "v1.k1.!!!!"],
)
def test_malformed_values_are_refused_clearly(malformed: str) -> None:
    with pytest.raises(SealedValueError):
        cipher().open(malformed, application_id=APP, field="f")


def test_rotation_opens_old_values_and_seals_with_the_active_key() -> None:
    old = cipher("k1").seal(b"before", application_id=APP, field="f")
    rotated = cipher("k2")
    assert rotated.open(old, application_id=APP, field="f") == b"before"
    assert rotated.seal(b"after", application_id=APP, field="f").startswith("v1.k2.")


def test_an_unknown_key_id_is_named() -> None:
    sealed = FieldCipher({"k9": b"9" * 32}, "k9").seal(b"x", application_id=APP, field="f")
    with pytest.raises(UnknownKeyError, match="k9"):
        cipher().open(sealed, application_id=APP, field="f")


def test_an_open_only_cipher_cannot_seal() -> None:
    sealed = cipher().seal(b"x", application_id=APP, field="f")
    reader = cipher(active=None)
    assert reader.open(sealed, application_id=APP, field="f") == b"x"
    with pytest.raises(KeyRingError, match="only open"):
        reader.seal(b"x", application_id=APP, field="f")


def test_json_values_and_models_round_trip() -> None:
    person = Person(name="Dana Reyes", born=date(1997, 6, 2))
    sealed = cipher().seal_model(person, application_id=APP, field="p")
    assert cipher().open_model(sealed, Person, application_id=APP, field="p") == person
    value = {"when": date(2025, 1, 2), "ids": [APP], "person": person}
    opened = cipher().open_json(
        cipher().seal_json(value, application_id=str(APP), field="j"), application_id=APP, field="j"
    )
    assert opened == {
        "when": "2025-01-02",
        "ids": [str(APP)],
        "person": {"name": "Dana Reyes", "born": "1997-06-02"},
    }


def test_a_model_that_does_not_validate_is_refused_without_its_content() -> None:
    sealed = cipher().seal_json({"name": "Dana Reyes"}, application_id=APP, field="p")
    with pytest.raises(SealedValueError) as error:
        cipher().open_model(sealed, Person, application_id=APP, field="p")
    assert "Dana" not in str(error.value)
    assert error.value.__cause__ is None


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ({}, None, "empty"),
        ({"k1": b"short"}, "k1", "32 bytes"),
        ({"k.1": K1}, "k.1", "key id"),
        ({"k1": K1}, "k2", "not in the key ring"),
    ],
)
def test_misconfigured_rings_are_refused(
    keys: dict[str, bytes], active: str | None, message: str
) -> None:
    with pytest.raises(KeyRingError, match=message):
        FieldCipher(keys, active)


def test_keys_come_from_base64_and_errors_never_show_them() -> None:
    fresh = new_key()
    assert len(decode_key("a", fresh)) == 32
    ring = FieldCipher.from_base64({"a": fresh}, "a")
    assert ring.key_ids == frozenset({"a"}) and fresh not in repr(ring)
    with pytest.raises(KeyRingError, match="'a'") as error:
        decode_key("a", "not base64!")
    assert "not base64!" not in str(error.value)
    with pytest.raises(KeyRingError, match="32 bytes"):
        decode_key("a", base64.b64encode(b"x" * 16).decode())


def test_every_error_is_a_field_crypto_error() -> None:
    assert issubclass(UnknownKeyError, FieldCryptoError)
    assert issubclass(SealedValueError, FieldCryptoError)
    assert issubclass(FieldCryptoError, ValueError)
    random_app = uuid4()
    with pytest.raises(FieldCryptoError):
        cipher().open("v1.k1." + "A" * 40, application_id=random_app, field="f")
