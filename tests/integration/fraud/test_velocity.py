"""Velocity checks against a real Redis: bursts, sliding windows, replays, one round trip."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import redis
from redis.connection import AbstractConnection

from services.fraud.velocity import (
    KEY_TTL,
    RETENTION,
    VelocityCounts,
    VelocityInput,
    VelocityTracker,
)
from services.fraud.velocity_keys import Dimension

pytestmark = pytest.mark.integration

HMAC_KEY = bytes(range(100, 132))
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BORN = date(1990, 4, 2)


def ssn(n: int) -> str:
    return hashlib.sha256(f"ssn-{n}".encode()).hexdigest()


def applicant(
    application_id: str,
    at: datetime,
    *,
    ssn_no: int = 1,
    email: str | None = None,
    phone: str | None = None,
    device: str | None = None,
    ip: str | None = None,
    name: str = "Ann Example",
    born: date = BORN,
) -> VelocityInput:
    return VelocityInput(
        application_id=application_id,
        at=at,
        ssn_token=ssn(ssn_no),
        email=email,
        phone=phone,
        device_id=device,
        ip_address=ip,
        full_name=name,
        date_of_birth=born,
    )


@pytest.fixture
def tracker(redis_client: redis.Redis, unique_name: str) -> VelocityTracker:
    return VelocityTracker(redis_client, key_prefix=unique_name, hmac_key=HMAC_KEY)


def column(results: list[VelocityCounts], dimension: str, window: str) -> list[int]:
    return [c.count(dimension, window) for c in results]


def application_key(tracker: VelocityTracker, dimension: Dimension, raw: str) -> str:
    part = tracker.keys.value_part(dimension, raw)
    assert part is not None
    return tracker.keys.applications(dimension, part)


def test_burst_from_one_device_trips_the_device_hour_limit(tracker: VelocityTracker) -> None:
    burst = [
        applicant(
            f"burst-{n}",
            T0 + timedelta(minutes=5 * n),
            ssn_no=n,
            email=f"person{n}@example.org",
            device="dev-burst",
            ip=f"198.51.100.{n + 1}",
        )
        for n in range(5)
    ]
    results = tracker.record_and_count(burst)
    assert column(results, "device_id", "1h") == [1, 2, 3, 4, 5]
    assert column(results, "email", "1h") == [1, 1, 1, 1, 1]
    assert [c.distinct_ssns_per_device_24h for c in results] == [1, 2, 3, 4, 5]
    flagged = [[s.code for s in tracker.signals(c)] for c in results]
    assert [("VELOCITY_DEVICE_1H" in codes) for codes in flagged] == [False] * 3 + [True] * 2
    assert "MANY_SSNS_ON_DEVICE_24H" not in flagged[1]
    assert "MANY_SSNS_ON_DEVICE_24H" in flagged[2]
    device_signal = next(s for s in tracker.signals(results[4]) if s.code == "VELOCITY_DEVICE_1H")
    assert (device_signal.count, device_signal.limit) == (5, 3)


def test_windows_slide_with_event_time(tracker: VelocityTracker, redis_client: redis.Redis) -> None:
    email = "slide@example.org"
    times = [T0, T0 + timedelta(hours=2), T0 + timedelta(hours=25)]
    results = [
        tracker.record_and_count([applicant(f"slide-{n}", at, email=email)])[0]
        for n, at in enumerate(times)
    ]
    assert column(results, "email", "1h") == [1, 1, 1]
    assert column(results, "email", "24h") == [1, 2, 2]  # T0 has left the 24 h window
    assert column(results, "email", "7d") == [1, 2, 3]

    # Eight days on, only what is within seven days of the newest event is kept.
    (late,) = tracker.record_and_count(
        [applicant("slide-late", T0 + timedelta(days=8), email=email)]
    )
    assert (late.count("email", "24h"), late.count("email", "7d")) == (1, 2)
    key = application_key(tracker, Dimension.EMAIL, email)
    assert members(redis_client, key) == {"slide-2", "slide-late"}


def members(client: redis.Redis, key: str) -> set[str]:
    raw: list[bytes] = client.zrange(key, 0, -1)  # type: ignore[assignment]
    return {m.decode() for m in raw}


def test_window_edges_are_inclusive(tracker: VelocityTracker) -> None:
    phone = "+14155550100"
    tracker.record_and_count([applicant("edge-0", T0, phone=phone)])
    (exact,) = tracker.record_and_count([applicant("edge-1", T0 + timedelta(hours=1), phone=phone)])
    (past,) = tracker.record_and_count(
        [applicant("edge-2", T0 + timedelta(hours=1, microseconds=1), phone=phone)]
    )
    assert exact.count("phone", "1h") == 2
    assert past.count("phone", "1h") == 2  # edge-1 and itself; edge-0 is one microsecond out


def test_replaying_an_application_never_counts_twice(
    tracker: VelocityTracker, redis_client: redis.Redis
) -> None:
    batch = [
        applicant("replay-a", T0, phone="+14155550111", device="dev-r"),
        applicant("replay-b", T0 + timedelta(minutes=1), phone="+14155550111", device="dev-r"),
    ]
    first = tracker.record_and_count(batch)
    again = tracker.record_and_count(batch)
    doubled = tracker.record_and_count([batch[1], batch[1], batch[0]])
    assert again == first
    assert doubled == [first[1], first[1], first[0]]
    assert column(first, "phone", "1h") == [1, 2]
    key = application_key(tracker, Dimension.PHONE, "+14155550111")
    assert members(redis_client, key) == {"replay-a", "replay-b"}


def test_a_replayed_old_event_sees_the_counts_of_its_time(tracker: VelocityTracker) -> None:
    events = [
        applicant(f"old-{n}", T0 + timedelta(minutes=10 * n), ssn_no=n, ip="203.0.113.9")
        for n in range(4)
    ]
    live = [tracker.record_and_count([event])[0] for event in events]
    assert column(live, "ip_address", "1h") == [1, 2, 3, 4]
    replayed = tracker.record_and_count([events[1]])
    assert replayed == [live[1]]


def test_batch_order_does_not_change_the_counts(
    redis_client: redis.Redis, unique_name: str
) -> None:
    batch = [
        applicant(
            f"ord-{n}",
            T0 + timedelta(minutes=n // 2),  # pairs share a time
            ssn_no=n % 3,
            device="dev-ord",
            email=f"o{n % 2}@example.org",
            name="Ann Example" if n % 4 else "Ann Other",
        )
        for n in range(12)
    ]
    shuffled = batch[:]
    random.Random(7).shuffle(shuffled)
    in_order = VelocityTracker(redis_client, key_prefix=f"{unique_name}-a", hmac_key=HMAC_KEY)
    mixed = VelocityTracker(redis_client, key_prefix=f"{unique_name}-b", hmac_key=HMAC_KEY)
    expected = dict(
        zip((a.application_id for a in batch), in_order.record_and_count(batch), strict=True)
    )
    got = dict(
        zip((a.application_id for a in shuffled), mixed.record_and_count(shuffled), strict=True)
    )
    assert got == expected
    # Applications at the same instant see each other.
    assert expected["ord-0"].count("device_id", "1h") == 2
    assert expected["ord-1"].count("device_id", "1h") == 2
    assert expected["ord-11"].count("device_id", "1h") == 12


def test_distinct_ssns_per_device(tracker: VelocityTracker) -> None:
    steps = [(1, 0), (2, 1), (1, 2), (3, 3)]  # (ssn, hours after T0)
    results = tracker.record_and_count(
        [
            applicant(f"dev-{i}", T0 + timedelta(hours=h), ssn_no=s, device="dev-shared")
            for i, (s, h) in enumerate(steps)
        ]
    )
    assert [c.distinct_ssns_per_device_24h for c in results] == [1, 2, 2, 3]
    assert [c.distinct_ssns_per_device_7d for c in results] == [1, 2, 2, 3]

    (later,) = tracker.record_and_count(
        [applicant("dev-later", T0 + timedelta(days=2), ssn_no=5, device="dev-shared")]
    )
    assert (later.distinct_ssns_per_device_24h, later.distinct_ssns_per_device_7d) == (1, 4)
    assert "MANY_SSNS_ON_DEVICE_7D" in [s.code for s in tracker.signals(later)]

    (elsewhere,) = tracker.record_and_count(
        [applicant("dev-other", T0 + timedelta(days=2), ssn_no=1, device="dev-own")]
    )
    assert elsewhere.distinct_ssns_per_device_24h == 1
    (none,) = tracker.record_and_count([applicant("dev-none", T0, ssn_no=9)])
    assert (none.distinct_ssns_per_device_24h, none.count("device_id", "7d")) == (0, 0)


def test_same_ssn_with_another_name_or_birth_date_is_flagged(tracker: VelocityTracker) -> None:
    hour = timedelta(hours=1)
    results = tracker.record_and_count(
        [
            applicant("id-0", T0, ssn_no=7, name="Ann Example"),
            applicant("id-1", T0 + hour, ssn_no=7, name="  ann   EXAMPLE "),
            applicant("id-2", T0 + 2 * hour, ssn_no=7, name="Anna Example"),
            applicant("id-3", T0 + 3 * hour, ssn_no=7, born=date(1990, 4, 3)),
            applicant("id-4", T0 + 4 * hour, ssn_no=7),
            applicant("id-5", T0 + 5 * hour, ssn_no=8, name="Anna Example"),
        ]
    )
    assert [c.other_identities_for_ssn_7d for c in results] == [0, 0, 1, 2, 2, 0]
    assert [c.identity_changed_for_ssn for c in results] == [False, False, True, True, True, False]
    codes = [s.code for s in tracker.signals(results[2])]
    assert codes == ["SSN_IDENTITY_MISMATCH"]


def test_a_whole_batch_costs_one_round_trip(
    redis_url: str, redis_client: redis.Redis, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [
        applicant(
            f"rt-{n}",
            T0 + timedelta(seconds=n),
            ssn_no=n % 7,
            email=f"rt{n % 5}@example.org",
            phone=f"+1415555{n % 3:04d}",
            device=f"dev-{n % 4}",
            ip=f"192.0.2.{n % 6}",
        )
        for n in range(60)
    ]
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()  # connects now, so the handshake is not counted below
        tracker = VelocityTracker(client, key_prefix=unique_name, hmac_key=HMAC_KEY)
        calls_before = zcount_calls(redis_client)
        # Every request a connection writes, command or pipeline, goes through this method.
        sends: list[bytes] = []
        original: Callable[..., None] = AbstractConnection.send_packed_command

        def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
            sends.append(b"")
            original(self, command, check_health)

        with monkeypatch.context() as patch:
            patch.setattr(AbstractConnection, "send_packed_command", counting)
            results = tracker.record_and_count(batch)
            assert len(sends) == 1
            assert tracker.record_and_count([]) == []
            assert len(sends) == 1
        # And the server did run every count of the batch in that one trip.
        assert zcount_calls(redis_client) - calls_before >= len(batch) * 5 * 3
        assert results[-1].count("device_id", "1h") == 15
    finally:
        client.close()


def zcount_calls(client: redis.Redis) -> int:
    stats: dict[str, Any] = client.info("commandstats")
    return int(stats.get("cmdstat_zcount", {}).get("calls", 0))


def test_no_personal_data_in_keys_or_members(
    redis_client: redis.Redis, tracker: VelocityTracker, unique_name: str
) -> None:
    people = [
        ("Ann.Example@Mail.Example.org", "+14155550123", "Device-Alpha-42", "203.0.113.77"),
        ("bob.sample@example.net", "+442079460958", "ios-7f3a9c", "2001:db8::7"),
    ]
    tracker.record_and_count(
        [
            applicant(
                f"pii-{n}",
                T0 + timedelta(minutes=n),
                ssn_no=n,
                email=email,
                phone=phone,
                device=device,
                ip=ip,
                name=name,
            )
            for n, ((email, phone, device, ip), name) in enumerate(
                zip(people, ["Ann Example", "Bob Sample"], strict=True)
            )
        ]
    )
    keys = sorted(k.decode() for k in redis_client.scan_iter(match=f"{unique_name}:*"))
    assert len(keys) == 2 * 5 + 2 + 2  # application sets, device SSN sets, SSN identity sets
    assert redis_client.dbsize() == len(keys)
    forbidden = {"ann", "bob", "example", "sample", "alpha", "7f3a9c", "2079460958"}
    forbidden |= {"4155550123", "203.0.113", "2001:db8", "db8::7"}
    for key in keys:
        assert key.startswith(f"{unique_name}:fraud:vel:")
        lowered = key.lower()
        assert not [word for word in forbidden if word in lowered], key
        assert KEY_TTL - timedelta(minutes=1) < timedelta(seconds=redis_client.ttl(key))
        assert timedelta(seconds=redis_client.ttl(key)) <= KEY_TTL
        for member in members(redis_client, key):
            text = member.lower()
            assert not [word for word in forbidden if word in text], (key, text)
    assert KEY_TTL > RETENTION


@pytest.fixture
def decoding_client(redis_url: str, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    # Depends on redis_client only so that the database is emptied around the test.
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        client.close()


def test_works_with_a_decoding_client(decoding_client: redis.Redis, unique_name: str) -> None:
    tracker = VelocityTracker(decoding_client, key_prefix=unique_name, hmac_key=HMAC_KEY)
    results = tracker.record_and_count(
        [
            applicant("dec-0", T0, device="d", name="Ann Example"),
            applicant("dec-1", T0 + timedelta(minutes=1), ssn_no=2, device="d", name="Other"),
        ]
    )
    assert column(results, "device_id", "1h") == [1, 2]
    assert results[1].distinct_ssns_per_device_24h == 2
