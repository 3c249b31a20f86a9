"""Redis-backed idempotency: business duplicates and once-only side effects.

Two different problems share this module:

* ``DuplicateFilter`` drops a business duplicate — the same application id arriving twice as two
  different records. Each mark stores the coordinates (topic:partition:offset) of the record that
  set it. If the Kafka transaction carrying that record aborts, Kafka redelivers the *same*
  record, finds its own coordinates in the mark and processes it again; only a *different*
  record with the same key is dropped. So a mark can never cause a loss.
* ``Once`` wraps an external side effect (a webhook, an e-mail, a paid API call). It claims the
  key with ``SET NX`` and a lease, runs the call, stores the result, and on a replay after a
  crash returns the stored result instead of calling again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
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
    """Default business identity of an event: its Kafka key, the application id."""
    return record.key


class DuplicateFilter:
    """Drops events whose business key was already processed by this stage."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        stage: str,
        ttl_s: int,
        key: Callable[[Record], str | None] = key_of,
    ) -> None:
        self._client = client
        self._namespace = f"{prefix}:dedup:{stage}"
        self._ttl_s = ttl_s
        self._key = key

    def _redis_key(self, envelope: Record) -> str | None:
        business_key = self._key(envelope)
        if business_key is None:
            return None
        return f"{self._namespace}:{envelope.topic}:{business_key}"

    def split(self, envelopes: Sequence[E]) -> tuple[list[E], list[E]]:
        """(fresh, duplicates): one round trip for the whole batch."""
        keys = [self._redis_key(envelope) for envelope in envelopes]
        lookups = [k for k in keys if k is not None]
        stored = dict(zip(lookups, self._client.mget(lookups), strict=True)) if lookups else {}
        fresh: list[E] = []
        duplicates: list[E] = []
        seen_in_batch: set[str] = set()
        for envelope, redis_key in zip(envelopes, keys, strict=True):
            if redis_key is None:
                fresh.append(envelope)
                continue
            mark = stored.get(redis_key)
            owner = mark.decode() if isinstance(mark, bytes) else mark
            if redis_key in seen_in_batch or (owner is not None and owner != envelope.coordinates):
                duplicates.append(envelope)
            else:
                seen_in_batch.add(redis_key)
                fresh.append(envelope)
        return fresh, duplicates

    def mark(self, envelopes: Sequence[E]) -> list[E]:
        """Record the batch as processed; returns events another record claimed meanwhile.

        Called inside the open transaction, before commit. A non-empty result means a
        concurrent instance processed the same business key first: the caller must abort so
        the rewound batch drops the duplicate.
        """
        pipe = self._client.pipeline(transaction=False)
        marked: list[E] = []
        for envelope in envelopes:
            redis_key = self._redis_key(envelope)
            if redis_key is None:
                continue
            pipe.set(redis_key, envelope.coordinates, nx=True, get=True, ex=self._ttl_s)
            marked.append(envelope)
        if not marked:
            return []
        conflicts = []
        for envelope, previous in zip(marked, pipe.execute(), strict=True):
            owner = previous.decode() if isinstance(previous, bytes) else previous
            if owner is not None and owner != envelope.coordinates:
                conflicts.append(envelope)
        return conflicts


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
