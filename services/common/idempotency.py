"""Redis-backed idempotency: business duplicates and once-only side effects.

Two different problems share this module:

* ``DuplicateFilter`` drops a business duplicate — the same application id arriving twice as two
  different records. Each claim stores the coordinates (topic:partition:offset) of the record
  that made it. If the Kafka transaction carrying that record aborts, Kafka redelivers the *same*
  record, which finds its own coordinates in the claim and is processed again; only a
  *different* record with the same key is dropped. Claims of records that end in the
  dead-letter topic are released, so their replay is not dropped either. So a claim can never
  cause a loss.
* ``Once`` wraps an external side effect (a webhook, an e-mail, a paid API call). It claims the
  key with ``SET NX`` and a lease, runs the call, stores the result, and on a replay after a
  crash returns the stored result instead of calling again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

import orjson
import redis

from services.common.errors import TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E", bound="Record")


class Record(Protocol):
    """What the filter needs to know of an event (the runtime's ``Envelope`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> str | None: ...
    @property
    def coordinates(self) -> str: ...


def key_of(record: Record) -> str | None:
    """Default business identity of an event: its Kafka key (the application id), qualified
    when the event says it is new work for that key rather than a repeat — a resumed revision
    of an application, an upload — through an ``idempotency_qualifier`` on its value."""
    qualifier = getattr(getattr(record, "value", None), "idempotency_qualifier", "")
    if record.key is None or not qualifier:
        return record.key
    return f"{record.key}#{qualifier}"


# One round trip per batch: each key is claimed with SET NX GET, so the claim and the check
# are one atomic step and two instances can never both take the same business key. The pairs
# travel as one JSON argument: packing a thousand separate arguments cost the client more than
# the whole script costs the server. (Keys not declared in KEYS: fine on a standalone or
# primary-replica Redis, which is what the idempotency store is; not for Redis Cluster.)
_CLAIM = """
local pairs_ = cjson.decode(ARGV[2])
local taken = {}
for i, pair in ipairs(pairs_) do
  local previous = redis.call('SET', pair[1], pair[2], 'NX', 'GET', 'EX', ARGV[1])
  if previous and previous ~= pair[2] then
    taken[#taken + 1] = i
  end
end
return taken
"""

_RELEASE_CLAIMS = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    redis.call('DEL', key)
  end
end
return 0
"""


class DuplicateFilter:
    """Drops events whose business key another record already claimed for this stage."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        stage: str,
        ttl_s: int,
        key: Callable[[Record], str | None] = key_of,
    ) -> None:
        self._namespace = f"{prefix}:dedup:{stage}"
        self._ttl_s = ttl_s
        self._key = key
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE_CLAIMS)

    def _redis_key(self, envelope: Record) -> str | None:
        business_key = self._key(envelope)
        if business_key is None:
            return None
        return f"{self._namespace}:{envelope.topic}:{business_key}"

    def claim(self, envelopes: Sequence[E]) -> tuple[list[E], list[E]]:
        """(fresh, duplicates) for a batch, claiming every fresh key for its record.

        A claim holds the record's coordinates. The record that made it (redelivered after an
        aborted transaction) finds its own claim and stays fresh; any other record with the
        same key, in this batch or later, is a duplicate.
        """
        keyed: list[tuple[E, str]] = []
        for envelope in envelopes:
            redis_key = self._redis_key(envelope)
            if redis_key is not None:
                keyed.append((envelope, redis_key))
        if not keyed:
            return list(envelopes), []
        claims = orjson.dumps([[redis_key, envelope.coordinates] for envelope, redis_key in keyed])
        taken_positions = self._claim(keys=[], args=[self._ttl_s, claims])
        taken = {id(keyed[int(i) - 1][0]) for i in taken_positions}
        fresh = [e for e in envelopes if id(e) not in taken]
        duplicates = [e for e in envelopes if id(e) in taken]
        return fresh, duplicates

    def release(self, envelopes: Sequence[E]) -> None:
        """Give up the claims of records that failed, so their replay is not a duplicate."""
        keyed = [(e, k) for e in envelopes if (k := self._redis_key(e)) is not None]
        if keyed:
            self._release(keys=[k for _, k in keyed], args=[e.coordinates for e, _ in keyed])


_PENDING = b"pending:"
_DONE = b"done:"

# Store the result only if we still hold the lease, or if nobody holds one any more.
_STORE_RESULT = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or current == false then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
if string.sub(current, 1, 5) == 'done:' then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 2
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _run_all(
    calls: Sequence[tuple[str, Callable[[], T]]],
    indices: list[int],
    workers: int,
    results: dict[int, T],
    errors: dict[int, Exception],
) -> None:
    """Run ``calls[i]`` for every ``i`` in ``indices`` (on a thread pool if ``workers`` > 1),
    every one of them even when some fail: results land in ``results``, failures in
    ``errors``."""

    def run(index: int) -> None:
        try:
            results[index] = calls[index][1]()
        except Exception as exc:  # noqa: BLE001 - kept per call, raised or returned by the caller
            errors[index] = exc

    if workers == 1 or len(indices) <= 1:
        for index in indices:
            run(index)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(indices))) as pool:
        list(pool.map(run, indices))


class OnceCall(Protocol):
    """What a side effect's caller needs of ``Once``: run ``fn`` at most once per ``key`` and
    return its (stored) JSON result. ``Once`` fits; so does ``call_directly``."""

    def __call__(self, key: str, fn: Callable[[], T], /) -> T: ...


def call_directly(key: str, fn: Callable[[], T], /) -> T:
    """A ``OnceCall`` without a store: every call runs (tests, tools, no Redis)."""
    del key
    return fn()


@dataclass(frozen=True)
class FailedCall:
    """A call of ``Once.many_settled`` that raised ``error``; nothing was stored for it."""

    error: Exception


class OnceBusyError(TransientError):
    """Another worker holds the lease and has not finished; retry later."""


class Once:
    """Run a side effect at most once per key, even across crashes and replays.

    The stored result must be JSON-serialisable. A call that fails releases the claim so a
    later attempt can try again; a worker that dies mid-call leaves a lease that expires after
    ``lease_s`` — choose it longer than the slowest call.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        lease_s: float = 30.0,
        result_ttl_s: int = 14 * 24 * 3600,
        poll_s: float = 0.05,
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:once"
        self._lease_ms = int(lease_s * 1000)
        self._result_ttl_s = result_ttl_s
        self._poll_s = poll_s
        self._store = client.register_script(_STORE_RESULT)
        self._release = client.register_script(_RELEASE)

    def __call__(self, key: str, fn: Callable[[], T], *, wait_s: float | None = None) -> T:
        redis_key = f"{self._prefix}:{key}"
        claim = _PENDING + uuid.uuid4().hex.encode()
        deadline = time.monotonic() + (wait_s if wait_s is not None else self._lease_ms / 1000)
        while True:
            if self._client.set(redis_key, claim, nx=True, px=self._lease_ms):
                return self._run(redis_key, claim, fn)
            current = self._client.get(redis_key)
            if isinstance(current, bytes) and current.startswith(_DONE):
                return cast(T, orjson.loads(current[len(_DONE) :]))
            if time.monotonic() >= deadline:
                raise OnceBusyError(f"side effect {key!r} is claimed by another worker")
            time.sleep(self._poll_s)

    def many(self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1) -> list[T]:
        """``__call__`` for a batch, in input order, with the Redis work pipelined.

        One round trip claims every key, the calls run, one round trip stores their results; a
        key that is already done costs one more round trip for all of them. Only a key another
        worker is still working on falls back to ``__call__``, which waits out its lease.

        ``workers`` > 1 runs the claimed calls on that many threads, for calls that wait on the
        network (a credit bureau answers in tenths of a second). If calls fail, every other
        call still runs, the results of those that succeeded are stored (their side effects
        happened), the claims of the rest are released, and the first error propagates.
        """
        outcomes = self.many_settled(calls, workers=workers)
        for outcome in outcomes:
            if isinstance(outcome, FailedCall):
                raise outcome.error
        return cast(list[T], outcomes)

    def many_settled(
        self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1
    ) -> list[T | FailedCall]:
        """``many`` that never raises for a call: a failed call's place holds ``FailedCall``
        (its claim released, so a later attempt may run it). For side effects that fail one by
        one, such as webhooks to many receivers. Redis errors still propagate."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        keys = [f"{self._prefix}:{key}" for key, _ in calls]
        if len(set(keys)) != len(keys):
            raise ValueError("Once.many needs distinct keys")
        claims = [_PENDING + uuid.uuid4().hex.encode() for _ in calls]
        with self._client.pipeline(transaction=False) as pipe:
            for redis_key, claim in zip(keys, claims, strict=True):
                pipe.set(redis_key, claim, nx=True, px=self._lease_ms)
            claimed = [bool(ok) for ok in pipe.execute()]
        results: dict[int, T] = {}
        errors: dict[int, Exception] = {}
        try:
            _run_all(calls, [i for i, held in enumerate(claimed) if held], workers, results, errors)
        finally:
            self._settle_claims(keys, claims, claimed, results)
        self._collect_others(calls, keys, claimed, results, errors)
        return [
            FailedCall(errors[index]) if index in errors else results[index]
            for index in range(len(calls))
        ]

    def _settle_claims(
        self, keys: list[str], claims: list[bytes], claimed: list[bool], results: dict[int, T]
    ) -> None:
        """Store what ran; release the claims of calls that never ran or failed."""
        if not any(claimed):
            return
        held = [index for index, ok in enumerate(claimed) if ok]
        with self._client.pipeline(transaction=False) as pipe:
            for index in held:
                if index in results:
                    value = _DONE + orjson.dumps(results[index])
                    args: list[bytes | int] = [claims[index], value, self._result_ttl_s]
                    self._store(keys=[keys[index]], args=args, client=pipe)
                else:
                    self._release(keys=[keys[index]], args=[claims[index]], client=pipe)
            outcomes = pipe.execute()
        for index, outcome in zip(held, outcomes, strict=True):
            if index in results and outcome == 2:
                log.warning(
                    "side effect outlived its lease; another worker may have repeated it",
                    extra={"once_key": keys[index]},
                )

    def _collect_others(
        self,
        calls: Sequence[tuple[str, Callable[[], T]]],
        keys: list[str],
        claimed: list[bool],
        results: dict[int, T],
        errors: dict[int, Exception],
    ) -> None:
        """Results of keys this call did not claim: stored ones, or wait for their owner."""
        others = [index for index, held in enumerate(claimed) if not held]
        if not others:
            return
        current = self._client.mget([keys[index] for index in others])
        for index, value in zip(others, current, strict=True):
            if isinstance(value, bytes) and value.startswith(_DONE):
                results[index] = cast(T, orjson.loads(value[len(_DONE) :]))
                continue
            key, fn = calls[index]
            try:
                results[index] = self(key, fn)  # still claimed elsewhere, or expired meanwhile
            except redis.RedisError:
                raise
            except Exception as exc:  # noqa: BLE001 - the caller sees it in the call's place
                errors[index] = exc

    def result(self, key: str) -> object | None:
        """The stored result for ``key``, or None when the side effect has not completed."""
        current = self._client.get(f"{self._prefix}:{key}")
        if isinstance(current, bytes) and current.startswith(_DONE):
            return cast(object, orjson.loads(current[len(_DONE) :]))
        return None

    def _run(self, redis_key: str, claim: bytes, fn: Callable[[], T]) -> T:
        try:
            result = fn()
        except BaseException:
            self._release(keys=[redis_key], args=[claim])
            raise
        stored = _DONE + orjson.dumps(result)
        outcome = self._store(keys=[redis_key], args=[claim, stored, self._result_ttl_s])
        if outcome == 2:
            log.warning(
                "side effect outlived its lease; another worker may have repeated it",
                extra={"once_key": redis_key},
            )
        return result
