"""Velocity signals from counts, and the keyed digests behind the Redis keys (no Redis)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pydantic
import pytest
import redis

from services.common.contracts.primitives import ReasonCodeValue
from services.fraud.velocity import (
    DIMENSIONS,
    VELOCITY_CODES,
    WINDOWS,
    VelocityCounts,
    VelocityInput,
    VelocityLimits,
    VelocitySignal,
    VelocityTracker,
    velocity_signals,
)
from services.fraud.velocity_keys import (
    Dimension,
    VelocityKeys,
    identity_fingerprint,
    normalise_email,
    normalise_ip,
    normalise_name,
    normalise_phone,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
TOKEN = "ab" * 32
CODE = pydantic.TypeAdapter(ReasonCodeValue)


def counts(
    overrides: dict[tuple[str, str], int] | None = None,
    *,
    ssns_24h: int = 1,
    ssns_7d: int = 1,
    others: int = 0,
) -> VelocityCounts:
    by_dimension = {d: dict.fromkeys(WINDOWS, 1) for d in DIMENSIONS}
    for (dimension, window), value in (overrides or {}).items():
        by_dimension[dimension][window] = value
    return VelocityCounts(
        by_dimension=by_dimension,
        distinct_ssns_per_device_24h=ssns_24h,
        distinct_ssns_per_device_7d=ssns_7d,
        other_identities_for_ssn_7d=others,
        identity_changed_for_ssn=others > 0,
    )


def codes(signals: tuple[VelocitySignal, ...]) -> list[str]:
    return [s.code for s in signals]


# --- signals ---------------------------------------------------------------------------------


def test_a_first_application_raises_nothing() -> None:
    assert velocity_signals(counts(), VelocityLimits()) == ()


def test_counts_at_the_limit_pass_and_above_it_fire() -> None:
    limits = VelocityLimits()
    assert velocity_signals(counts({("device_id", "1h"): 3}), limits) == ()
    (signal,) = velocity_signals(counts({("device_id", "1h"): 4}), limits)
    assert signal.code == "VELOCITY_DEVICE_1H"
    assert (signal.count, signal.limit) == (4, 3)
    assert "4" in signal.description and "limit 3" in signal.description
    assert "device" in signal.description


def test_default_limits_follow_the_brief() -> None:
    limits = VelocityLimits()
    assert limits.device_id_1h == 3
    assert limits.ssn_token_24h == 3
    assert limits.ip_address_1h == 10
    assert limits.distinct_ssns_per_device_24h == 2
    assert limits.other_identities_for_ssn_7d == 0


def test_every_dimension_and_window_has_its_own_code() -> None:
    over = {(d, w): 1_000 for d in DIMENSIONS for w in WINDOWS}
    signals = velocity_signals(counts(over), VelocityLimits())
    assert codes(signals) == [
        f"VELOCITY_{part}_{window}"
        for part in ("SSN", "EMAIL", "PHONE", "DEVICE", "IP")
        for window in ("1H", "24H", "7D")
    ]
    for signal in signals:
        CODE.validate_python(signal.code)
        assert len(signal.code) <= 64


def test_many_ssns_on_one_device() -> None:
    signals = velocity_signals(counts(ssns_24h=3, ssns_7d=3), VelocityLimits())
    assert codes(signals) == ["MANY_SSNS_ON_DEVICE_24H"]
    assert (signals[0].count, signals[0].limit) == (3, 2)
    signals = velocity_signals(counts(ssns_24h=2, ssns_7d=4), VelocityLimits())
    assert codes(signals) == ["MANY_SSNS_ON_DEVICE_7D"]


def test_another_identity_on_the_ssn() -> None:
    (signal,) = velocity_signals(counts(others=1), VelocityLimits())
    assert signal.code == "SSN_IDENTITY_MISMATCH"
    assert (signal.count, signal.limit) == (1, 0)
    assert "1 other name and birth date" in signal.description


def test_a_limit_of_none_turns_the_check_off() -> None:
    limits = VelocityLimits(device_id_1h=None, other_identities_for_ssn_7d=None)
    assert velocity_signals(counts({("device_id", "1h"): 50}, others=4), limits) == ()


def test_missing_identifiers_count_zero() -> None:
    empty = counts({("email", w): 0 for w in WINDOWS})
    assert empty.count("email", "1h") == 0
    assert empty.count("no-such-dimension", "1h") == 0
    assert velocity_signals(empty, VelocityLimits()) == ()


def test_signal_order_is_fixed() -> None:
    signals = velocity_signals(
        counts({("ip_address", "1h"): 11, ("ssn_token", "24h"): 4}, ssns_24h=3, others=2),
        VelocityLimits(),
    )
    assert codes(signals) == [
        "VELOCITY_SSN_24H",
        "VELOCITY_IP_1H",
        "MANY_SSNS_ON_DEVICE_24H",
        "SSN_IDENTITY_MISMATCH",
    ]


def test_tracker_signals_use_its_limits_without_redis() -> None:
    # Building a client opens no connection; signals() must not need one either.
    client = redis.Redis(host="192.0.2.1", port=1, socket_connect_timeout=0.01)
    tracker = VelocityTracker(
        client, key_prefix="t", hmac_key=KEY, limits=VelocityLimits(device_id_1h=0)
    )
    assert codes(tracker.signals(counts())) == ["VELOCITY_DEVICE_1H"]


def test_limits_reject_negative_values_and_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        VelocityLimits(device_id_1h=-1)
    with pytest.raises(pydantic.ValidationError):
        VelocityLimits.model_validate({"device_1h": 3})
    with pytest.raises(KeyError):
        VelocityLimits().for_dimension("device_id", "2h")


# --- keys and fingerprints -------------------------------------------------------------------


RAW = {
    Dimension.EMAIL: "Ann.Example+promo@Mail.Example.org",
    Dimension.PHONE: "+1 (415) 555-0123",
    Dimension.DEVICE_ID: "Device-3F2A-77",
    Dimension.IP_ADDRESS: "203.0.113.77",
}


@pytest.mark.parametrize("dimension", list(RAW))
def test_keys_never_hold_the_raw_value(dimension: Dimension) -> None:
    keys = VelocityKeys(key_prefix="bank1", hmac_key=KEY)
    raw = RAW[dimension]
    part = keys.value_part(dimension, raw)
    assert part is not None and re.fullmatch(r"[0-9a-f]{32}", part)
    key = keys.applications(dimension, part)
    assert key.startswith("bank1:fraud:vel:app:")
    lowered = key.lower()
    for fragment in (raw, raw.lower(), "ann.example", "mail.example", "4155550123", "3f2a"):
        assert fragment.lower() not in lowered
    assert "203.0.113" not in lowered
    assert keys.ssns_on_device(part).startswith("bank1:fraud:vel:")


def test_equivalent_spellings_share_a_key() -> None:
    keys = VelocityKeys(key_prefix="p", hmac_key=KEY)
    email = keys.value_part(Dimension.EMAIL, "ann.example@mail.example.org")
    assert keys.value_part(Dimension.EMAIL, " ANN.Example+x@Mail.Example.ORG ") == email
    phone = keys.value_part(Dimension.PHONE, "+14155550123")
    assert keys.value_part(Dimension.PHONE, "+1 415-555-0123") == phone
    ip = keys.value_part(Dimension.IP_ADDRESS, "203.0.113.77")
    assert keys.value_part(Dimension.IP_ADDRESS, "::ffff:203.0.113.77") == ip
    v6 = keys.value_part(Dimension.IP_ADDRESS, "2001:db8::1")
    assert keys.value_part(Dimension.IP_ADDRESS, "2001:0DB8:0:0::0001") == v6
    device = keys.value_part(Dimension.DEVICE_ID, "ABC-1")
    assert keys.value_part(Dimension.DEVICE_ID, "abc-1 ") == device


def test_digests_depend_on_the_secret_and_the_dimension() -> None:
    one = VelocityKeys(key_prefix="p", hmac_key=KEY)
    two = VelocityKeys(key_prefix="p", hmac_key=OTHER_KEY)
    assert one.value_part(Dimension.DEVICE_ID, "x1") != two.value_part(Dimension.DEVICE_ID, "x1")
    assert one.value_part(Dimension.DEVICE_ID, "x1") != one.value_part(Dimension.EMAIL, "x1")


def test_ssn_tokens_are_used_as_they_are_and_blanks_are_skipped() -> None:
    keys = VelocityKeys(key_prefix="p", hmac_key=KEY)
    assert keys.value_part(Dimension.SSN_TOKEN, TOKEN) == TOKEN
    assert keys.identities_of_ssn(TOKEN) == f"p:fraud:vel:ssn-identities:{TOKEN}"
    assert keys.value_part(Dimension.EMAIL, None) is None
    assert keys.value_part(Dimension.PHONE, " - ") is None


def test_short_secrets_and_odd_prefixes_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        VelocityKeys(key_prefix="p", hmac_key=b"short")
    for prefix in ("", "has space", ":leading", "x" * 101):
        with pytest.raises(ValueError, match="key_prefix"):
            VelocityKeys(key_prefix=prefix, hmac_key=KEY)


def test_fingerprint_changes_with_name_or_date_of_birth() -> None:
    born = date(1990, 4, 2)
    base = identity_fingerprint(KEY, "Ann Example", born)
    assert re.fullmatch(r"[0-9a-f]{32}", base)
    assert identity_fingerprint(KEY, "Anne Example", born) != base
    assert identity_fingerprint(KEY, "Ann Example", date(1990, 4, 3)) != base
    assert identity_fingerprint(OTHER_KEY, "Ann Example", born) != base
    assert "ann" not in base


def test_fingerprint_ignores_how_the_name_was_typed() -> None:
    born = date(1985, 12, 31)
    base = identity_fingerprint(KEY, "José O'Neil-Smith", born)
    for spelling in ("jose  oneil smith", " JOSÉ O\u2019NEIL SMITH ", "Jose\tONeil Smith"):
        assert identity_fingerprint(KEY, spelling, born) == base


def test_normalisers() -> None:
    assert normalise_email(" A.B+tag@X.ORG ") == "a.b@x.org"
    assert normalise_email("+only@x.org") == "+only@x.org"
    assert normalise_phone("+44 20 7946 0958") == "442079460958"
    assert normalise_ip("::FFFF:198.51.100.9") == "198.51.100.9"
    assert normalise_ip("not-an-ip ") == "not-an-ip"
    assert normalise_name("  Ann   MARIE  ") == "ann marie"


# --- input ------------------------------------------------------------------------------------


def test_input_needs_an_aware_time_and_a_real_token() -> None:
    fields: dict[str, object] = {
        "application_id": "a-1",
        "ssn_token": TOKEN,
        "email": "ann@example.org",
        "phone": None,
        "device_id": None,
        "ip_address": None,
        "full_name": "Ann Example",
        "date_of_birth": date(1990, 1, 1),
    }
    VelocityInput.model_validate({**fields, "at": datetime(2025, 1, 1, tzinfo=UTC)})
    with pytest.raises(pydantic.ValidationError):
        VelocityInput.model_validate({**fields, "at": datetime(2025, 1, 1)})
    with pytest.raises(pydantic.ValidationError) as raised:
        VelocityInput.model_validate(
            {**fields, "at": datetime(2025, 1, 1, tzinfo=UTC), "ssn_token": "123-45-6789"}
        )
    assert "123-45-6789" not in str(raised.value)


def test_input_repr_shows_no_personal_data() -> None:
    item = VelocityInput(
        application_id="a-1",
        at=datetime(2025, 1, 1, tzinfo=UTC),
        ssn_token=TOKEN,
        email="ann@example.org",
        phone="+14155550123",
        device_id="dev-1",
        ip_address="203.0.113.1",
        full_name="Ann Example",
        date_of_birth=date(1990, 1, 1),
    )
    text = repr(item)
    for value in ("ann@example.org", "4155550123", "dev-1", "203.0.113.1", "Ann", "1990"):
        assert value not in text


def test_every_signal_code_is_among_the_published_codes() -> None:
    counts = VelocityCounts(
        by_dimension={d: {w: 1000 for w in WINDOWS} for d in DIMENSIONS},
        distinct_ssns_per_device_24h=50,
        distinct_ssns_per_device_7d=50,
        other_identities_for_ssn_7d=5,
        identity_changed_for_ssn=True,
    )
    codes = {signal.code for signal in velocity_signals(counts, VelocityLimits())}
    assert codes == VELOCITY_CODES  # everything fires at once, and nothing unpublished does
