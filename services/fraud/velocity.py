"""Velocity checks: how many applications recently shared an SSN, e-mail, phone, device or IP.

Each identifier has a Redis sorted set of application ids scored by submission time, so a window
is a ``ZCOUNT`` over ``[t - window, t]`` and slides with every application instead of resetting
on a bucket boundary. Times come from the application (``submitted_at``), never from the clock,
so replaying a topic gives the counts the original run gave, as far as the kept data allows.
Members are application ids, which makes recording an application twice a no-op.

Besides those counts: the SSN tokens seen per device (many people behind one device), and the
name-and-birth-date fingerprints seen per SSN token (one SSN worn by several identities).

A whole batch costs one round trip: every command goes into a single non-transactional
pipeline. See ``VELOCITY.md`` for the key layout and the ordering inside the pipeline.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Final

import redis
from pydantic import ConfigDict, Field

from services.common.contracts.base import EventModel
from services.common.contracts.pii import SSN_TOKEN_PATTERN
from services.common.contracts.primitives import ReasonCodeValue, Timestamp
from services.fraud.velocity_keys import Dimension, VelocityKeys

__all__ = [
    "DIMENSIONS",
    "VELOCITY_CODES",
    "WINDOWS",
    "VelocityCounts",
    "VelocityInput",
    "VelocityLimits",
    "VelocitySignal",
    "VelocityTracker",
    "velocity_signals",
]

_MICROS_PER_SECOND: Final = 1_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

WINDOWS: Final[dict[str, timedelta]] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
"""Window label -> length, shortest first."""

DIMENSIONS: Final[tuple[str, ...]] = tuple(d.value for d in Dimension)

RETENTION: Final = WINDOWS["7d"]
# Past the longest window, so a key does not expire while its newest member still counts.
KEY_TTL: Final = RETENTION + timedelta(hours=1)

_RETENTION_US: Final = RETENTION // timedelta(microseconds=1)
_WINDOW_US: Final[dict[str, int]] = {
    label: length // timedelta(microseconds=1) for label, length in WINDOWS.items()
}


class VelocityInput(EventModel):
    """One applicant's identifiers, already opened from the sealed event fields."""

    # Validation errors would otherwise quote e-mail addresses and names into logs.
    model_config = ConfigDict(hide_input_in_errors=True)

    application_id: str = Field(min_length=1, max_length=128)
    at: Timestamp = Field(description="When the application was submitted (submitted_at).")
    ssn_token: str = Field(pattern=SSN_TOKEN_PATTERN, repr=False)
    email: str | None = Field(default=None, max_length=320, repr=False)
    phone: str | None = Field(default=None, max_length=32, repr=False)
    device_id: str | None = Field(default=None, max_length=128, repr=False)
    ip_address: str | None = Field(default=None, max_length=64, repr=False)
    full_name: str = Field(min_length=1, max_length=400, repr=False)
    date_of_birth: date = Field(repr=False)


WindowCounts = dict[str, int]


class VelocityCounts(EventModel):
    """Counts as of the application's own time; every count includes the application itself."""

    by_dimension: dict[str, WindowCounts] = Field(
        description=(
            "Dimension (ssn_token, email, phone, device_id, ip_address) -> window (1h, 24h, 7d) "
            "-> applications. 0 when the application did not carry that identifier."
        )
    )
    distinct_ssns_per_device_24h: int = Field(ge=0)
    distinct_ssns_per_device_7d: int = Field(ge=0)
    other_identities_for_ssn_7d: int = Field(
        ge=0,
        description="Distinct name + date-of-birth fingerprints for this SSN besides this one.",
    )
    identity_changed_for_ssn: bool = Field(
        description="This SSN was seen with a different name or date of birth within 7 days."
    )

    def count(self, dimension: str, window: str) -> int:
        return self.by_dimension.get(dimension, {}).get(window, 0)


Limit = Annotated[int | None, Field(ge=0)]
"""Highest count still accepted; a signal fires above it. ``None`` turns the check off."""


class VelocityLimits(EventModel):
    """Thresholds. Counts include the current application, so ``device_id_1h=3`` lets a device
    submit three applications in an hour and flags the fourth."""

    ssn_token_1h: Limit = 2
    ssn_token_24h: Limit = 3
    ssn_token_7d: Limit = 5
    email_1h: Limit = 2
    email_24h: Limit = 3
    email_7d: Limit = 5
    phone_1h: Limit = 2
    phone_24h: Limit = 3
    phone_7d: Limit = 5
    device_id_1h: Limit = 3
    device_id_24h: Limit = 5
    device_id_7d: Limit = 10
    # Offices, campuses and carrier NAT put many honest applicants behind one address.
    ip_address_1h: Limit = 10
    ip_address_24h: Limit = 30
    ip_address_7d: Limit = 100
    distinct_ssns_per_device_24h: Limit = 2
    distinct_ssns_per_device_7d: Limit = 3
    other_identities_for_ssn_7d: Limit = 0

    def for_dimension(self, dimension: str, window: str) -> int | None:
        """The limit on applications per ``dimension`` in ``window``."""
        if dimension not in DIMENSIONS or window not in WINDOWS:
            raise KeyError(f"no velocity limit for {dimension} over {window}")
        value: int | None = getattr(self, f"{dimension}_{window}")
        return value


class VelocitySignal(EventModel):
    """A count above its limit."""

    code: ReasonCodeValue
    description: str = Field(min_length=1, max_length=200)
    count: int = Field(ge=0)
    limit: int = Field(ge=0)


_CODE_PART: Final[dict[str, str]] = {
    Dimension.SSN_TOKEN: "SSN",
    Dimension.EMAIL: "EMAIL",
    Dimension.PHONE: "PHONE",
    Dimension.DEVICE_ID: "DEVICE",
    Dimension.IP_ADDRESS: "IP",
}
_SOURCE: Final[dict[str, str]] = {
    Dimension.SSN_TOKEN: "with this SSN",
    Dimension.EMAIL: "from this e-mail address",
    Dimension.PHONE: "from this phone number",
    Dimension.DEVICE_ID: "from this device",
    Dimension.IP_ADDRESS: "from this IP address",
}
_WINDOW_TEXT: Final[dict[str, str]] = {"1h": "1 h", "24h": "24 h", "7d": "7 days"}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _all_codes() -> frozenset[str]:
    per_dimension = [f"VELOCITY_{_CODE_PART[d]}_{w.upper()}" for d in DIMENSIONS for w in WINDOWS]
    return frozenset(
        [
            *per_dimension,
            "MANY_SSNS_ON_DEVICE_24H",
            "MANY_SSNS_ON_DEVICE_7D",
            "SSN_IDENTITY_MISMATCH",
        ]
    )


VELOCITY_CODES: Final = _all_codes()
"""Every code ``velocity_signals`` can return: what fraud rule tables may test for."""


def velocity_signals(counts: VelocityCounts, limits: VelocityLimits) -> tuple[VelocitySignal, ...]:
    """Every count above its limit, in a fixed order: dimensions, device, then identity."""
    found: list[VelocitySignal] = []
    for dimension in DIMENSIONS:
        for window in WINDOWS:
            limit = limits.for_dimension(dimension, window)
            count = counts.count(dimension, window)
            if limit is not None and count > limit:
                found.append(
                    VelocitySignal(
                        code=f"VELOCITY_{_CODE_PART[dimension]}_{window.upper()}",
                        description=(
                            f"{_plural(count, 'application')} {_SOURCE[dimension]} in "
                            f"{_WINDOW_TEXT[window]} (limit {limit})"
                        ),
                        count=count,
                        limit=limit,
                    )
                )
    for window, count, limit in (
        ("24h", counts.distinct_ssns_per_device_24h, limits.distinct_ssns_per_device_24h),
        ("7d", counts.distinct_ssns_per_device_7d, limits.distinct_ssns_per_device_7d),
    ):
        if limit is not None and count > limit:
            found.append(
                VelocitySignal(
                    code=f"MANY_SSNS_ON_DEVICE_{window.upper()}",
                    description=(
                        f"{_plural(count, 'SSN')} used on this device in "
                        f"{_WINDOW_TEXT[window]} (limit {limit})"
                    ),
                    count=count,
                    limit=limit,
                )
            )
    others, limit = counts.other_identities_for_ssn_7d, limits.other_identities_for_ssn_7d
    if limit is not None and others > limit:
        found.append(
            VelocitySignal(
                code="SSN_IDENTITY_MISMATCH",
                description=(
                    f"{_plural(others, 'other name and birth date')} seen with this SSN in "
                    f"7 days (limit {limit})"
                ),
                count=others,
                limit=limit,
            )
        )
    return tuple(found)


def _epoch_micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _score(micros: int) -> float:
    # Whole microseconds divided once: equal instants always give the very same double, so
    # window edges compare exactly, and at today's epoch a microsecond is still above one ulp.
    return micros / _MICROS_PER_SECOND


def _micros(score: float) -> int:
    return round(score * _MICROS_PER_SECOND)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Keys, members and time of one applicant."""

    application_id: str
    micros: int
    ssn_token: str
    fingerprint: str
    applications: dict[str, str]  # dimension -> key; identifiers the applicant lacks are absent
    device_ssns: str | None
    ssn_identities: str


@dataclass(frozen=True, slots=True)
class _Replies:
    """Positions of one applicant's read replies in the pipeline's result list."""

    windows: dict[str, dict[str, int]]  # dimension -> window -> position
    identities_7d: int
    identity_own_score: int
    device_24h: int | None
    device_7d: int | None
    device_own_score: int | None


class _Commands:
    """A pipeline that remembers the position of each queued command."""

    def __init__(self, client: redis.Redis) -> None:
        self.pipe = client.pipeline(transaction=False)
        self.size = 0

    def zadd(self, key: str, member: str, score: float, *, nx: bool = False) -> None:
        self.pipe.zadd(key, {member: score}, nx=nx, gt=not nx)
        self.size += 1

    def zcount(self, key: str, low: float, high: float) -> int:
        self.pipe.zcount(key, low, high)
        self.size += 1
        return self.size - 1

    def zscore(self, key: str, member: str) -> int:
        self.pipe.zscore(key, member)
        self.size += 1
        return self.size - 1

    def trim(self, key: str, newest_micros: int, ttl: timedelta) -> None:
        oldest_kept = _score(newest_micros - _RETENTION_US)
        self.pipe.zremrangebyscore(key, "-inf", f"({oldest_kept!r}")
        self.pipe.expire(key, ttl)
        self.size += 2


class VelocityTracker:
    """Records applications and counts their velocity in Redis, one round trip per batch."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        key_prefix: str,
        hmac_key: bytes,
        limits: VelocityLimits = VelocityLimits(),  # noqa: B008 - frozen, so sharing is safe
    ) -> None:
        self._client = client
        self.keys = VelocityKeys(key_prefix=key_prefix, hmac_key=hmac_key)
        self.limits = limits

    def record_and_count(self, inputs: Sequence[VelocityInput]) -> list[VelocityCounts]:
        """Record every application of the batch and return its counts, in input order.

        Applications are applied in time order, and applications with the same time see each
        other, so the counts do not depend on the order of ``inputs``. All writes are
        idempotent: a batch retried after a Redis error, or replayed, never counts twice.
        """
        if not inputs:
            return []
        plans = [self._plan(item) for item in inputs]
        commands = _Commands(self._client)
        replies: dict[int, _Replies] = {}
        newest: dict[str, int] = {}

        order = sorted(range(len(plans)), key=lambda i: (plans[i].micros, i))
        # Writes of one instant go before its reads, and after every earlier instant's reads,
        # so each application sees exactly the batch's applications at or before its time.
        for _, group in itertools.groupby(order, key=lambda i: plans[i].micros):
            members = list(group)
            for i in members:
                self._queue_writes(commands, plans[i], newest)
            for i in members:
                replies[i] = self._queue_reads(commands, plans[i])
        # Trimming last keeps old members visible to every read of this batch (a replay of an
        # old event sees them); the next batch trims to its own newest time anyway.
        for key, micros in newest.items():
            commands.trim(key, micros, KEY_TTL)

        results = commands.pipe.execute()
        if len(results) != commands.size:
            raise RuntimeError("velocity pipeline returned an unexpected number of replies")
        return [self._counts(plans[i], replies[i], results) for i in range(len(plans))]

    def signals(self, counts: VelocityCounts) -> tuple[VelocitySignal, ...]:
        """The signals ``counts`` raise against this tracker's limits; no Redis involved."""
        return velocity_signals(counts, self.limits)

    def _plan(self, item: VelocityInput) -> _Plan:
        keys = self.keys
        applications: dict[str, str] = {}
        raw_values = {
            Dimension.SSN_TOKEN: item.ssn_token,
            Dimension.EMAIL: item.email,
            Dimension.PHONE: item.phone,
            Dimension.DEVICE_ID: item.device_id,
            Dimension.IP_ADDRESS: item.ip_address,
        }
        device_part: str | None = None
        for dimension, raw in raw_values.items():
            part = keys.value_part(dimension, raw)
            if part is None:
                continue
            applications[dimension.value] = keys.applications(dimension, part)
            if dimension is Dimension.DEVICE_ID:
                device_part = part
        return _Plan(
            application_id=item.application_id,
            micros=_epoch_micros(item.at),
            ssn_token=item.ssn_token,
            fingerprint=keys.fingerprint(item.full_name, item.date_of_birth),
            applications=applications,
            device_ssns=keys.ssns_on_device(device_part) if device_part else None,
            ssn_identities=keys.identities_of_ssn(item.ssn_token),
        )

    @staticmethod
    def _queue_writes(commands: _Commands, plan: _Plan, newest: dict[str, int]) -> None:
        score = _score(plan.micros)
        # NX: an application keeps the time it was first recorded with, so replays are no-ops.
        for key in plan.applications.values():
            commands.zadd(key, plan.application_id, score, nx=True)
        # GT: these sets remember when a member was last seen, which a replay must not rewind.
        if plan.device_ssns is not None:
            commands.zadd(plan.device_ssns, plan.ssn_token, score)
        commands.zadd(plan.ssn_identities, plan.fingerprint, score)
        keys = [*plan.applications.values(), plan.ssn_identities]
        if plan.device_ssns is not None:
            keys.append(plan.device_ssns)
        for key in keys:
            newest[key] = max(newest.get(key, plan.micros), plan.micros)

    @staticmethod
    def _queue_reads(commands: _Commands, plan: _Plan) -> _Replies:
        high = _score(plan.micros)

        def since(window: str) -> float:
            return _score(plan.micros - _WINDOW_US[window])

        windows = {
            dimension: {w: commands.zcount(key, since(w), high) for w in WINDOWS}
            for dimension, key in plan.applications.items()
        }
        device_24h = device_7d = device_own_score = None
        if plan.device_ssns is not None:
            device_24h = commands.zcount(plan.device_ssns, since("24h"), high)
            device_7d = commands.zcount(plan.device_ssns, since("7d"), high)
            device_own_score = commands.zscore(plan.device_ssns, plan.ssn_token)
        return _Replies(
            windows=windows,
            identities_7d=commands.zcount(plan.ssn_identities, since("7d"), high),
            identity_own_score=commands.zscore(plan.ssn_identities, plan.fingerprint),
            device_24h=device_24h,
            device_7d=device_7d,
            device_own_score=device_own_score,
        )

    @staticmethod
    def _counts(plan: _Plan, reply: _Replies, results: list[object]) -> VelocityCounts:
        def integer(position: int | None) -> int:
            if position is None:
                return 0
            value = results[position]
            if not isinstance(value, int):
                raise RuntimeError(f"unexpected velocity reply {type(value).__name__}")
            return value

        def seen_after_now(position: int | None) -> bool:
            # A member's score is the latest time it was seen. Above this application's time it
            # means a later application (met first, in a replay) moved it out of the count.
            value = results[position] if position is not None else None
            return isinstance(value, (int, float)) and _micros(float(value)) > plan.micros

        by_dimension = {
            dimension: {
                window: integer(reply.windows[dimension][window])
                if dimension in reply.windows
                else 0
                for window in WINDOWS
            }
            for dimension in DIMENSIONS
        }
        if plan.device_ssns is None:
            ssns_24h = ssns_7d = 0
        else:
            # The applicant's own SSN always counts once, even when its score moved past now.
            own_uncounted = 1 if seen_after_now(reply.device_own_score) else 0
            ssns_24h = integer(reply.device_24h) + own_uncounted
            ssns_7d = integer(reply.device_7d) + own_uncounted
        own_counted = 0 if seen_after_now(reply.identity_own_score) else 1
        others = max(0, integer(reply.identities_7d) - own_counted)
        return VelocityCounts(
            by_dimension=by_dimension,
            distinct_ssns_per_device_24h=ssns_24h,
            distinct_ssns_per_device_7d=ssns_7d,
            other_identities_for_ssn_7d=others,
            identity_changed_for_ssn=others > 0,
        )
