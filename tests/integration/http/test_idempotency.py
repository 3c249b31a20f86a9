"""The Idempotency-Key store against a real Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from services.common.http import (
    BeginResult,
    Conflict,
    IdempotencyStore,
    InProgress,
    InvalidIdempotencyKeyError,
    New,
    Replay,
    StoredResponse,
    request_fingerprint,
)

FP = request_fingerprint("POST", "/v1/applications", b'{"amount": 1000}')
OTHER_FP = request_fingerprint("POST", "/v1/applications", b'{"amount": 2000}')
ACCEPTED = StoredResponse(
    202, (("content-type", "application/json"), ("location", "/v1/applications/a1")), b'{"id":"a1"}'
)


def store(client: redis.Redis, **options: Any) -> IdempotencyStore:
    return IdempotencyStore(client, prefix="test", scope="svc", **options)


def claim(result: object) -> New:
    assert isinstance(result, New)
    return result


def test_replay_after_complete(redis_client: redis.Redis) -> None:
    s = store(redis_client)
    first = claim(s.begin("client-a", "key-1", FP))
    assert s.complete(first, ACCEPTED)
    assert s.begin("client-a", "key-1", FP) == Replay(ACCEPTED)
    assert s.begin("client-a", "key-1", FP) == Replay(ACCEPTED)


def test_reused_key_with_other_request_conflicts(redis_client: redis.Redis) -> None:
    s = store(redis_client)
    first = claim(s.begin("client-a", "key-1", FP))
    assert s.begin("client-a", "key-1", OTHER_FP) == Conflict()
    s.complete(first, ACCEPTED)
    assert s.begin("client-a", "key-1", OTHER_FP) == Conflict()


def test_concurrent_duplicate_is_in_progress(redis_client: redis.Redis) -> None:
    s = store(redis_client, retry_after_s=2)
    claim(s.begin("client-a", "key-1", FP))
    assert s.begin("client-a", "key-1", FP) == InProgress(2)


def test_waiting_duplicate_gets_the_first_answer(redis_client: redis.Redis) -> None:
    s = store(redis_client, wait_s=2.0)
    first = claim(s.begin("client-a", "key-1", FP))
    timer = threading.Timer(0.2, s.complete, args=(first, ACCEPTED))
    timer.start()
    started = time.monotonic()
    try:
        assert s.begin("client-a", "key-1", FP) == Replay(ACCEPTED)
    finally:
        timer.join()
    assert 0.15 < time.monotonic() - started < 1.5


def test_abandon_lets_a_retry_run(redis_client: redis.Redis) -> None:
    s = store(redis_client)
    first = claim(s.begin("client-a", "key-1", FP))
    assert s.abandon(first)
    second = claim(s.begin("client-a", "key-1", FP))
    # The first attempt can no longer release or complete the second one's claim.
    assert not s.abandon(first)
    assert not s.complete(first, ACCEPTED)
    assert isinstance(s.begin("client-a", "key-1", FP), InProgress)
    assert s.complete(second, ACCEPTED)
    assert s.begin("client-a", "key-1", FP) == Replay(ACCEPTED)


def test_keys_are_scoped_per_client(redis_client: redis.Redis) -> None:
    s = store(redis_client)
    a = claim(s.begin("client-a", "shared", FP))
    s.complete(a, ACCEPTED)
    b = claim(s.begin("client-b", "shared", FP))
    assert b.client_id == "client-b"
    # Colons in client ids cannot make two (client, key) pairs meet.
    c = claim(s.begin("x:y", "z", FP))
    s.complete(c, ACCEPTED)
    assert isinstance(s.begin("x", "y:z", FP), New)


def test_lease_expiry_frees_the_key(redis_client: redis.Redis) -> None:
    s = store(redis_client, lease_s=0.2)
    claim(s.begin("client-a", "key-1", FP))
    time.sleep(0.3)
    claim(s.begin("client-a", "key-1", FP))


def test_stored_response_expires_after_ttl(redis_client: redis.Redis) -> None:
    s = store(redis_client, ttl_s=1)
    first = claim(s.begin("client-a", "key-1", FP))
    s.complete(first, ACCEPTED)
    ttl = redis_client.ttl(first.redis_key)
    assert 0 < ttl <= 1
    assert isinstance(s.begin("client-a", "key-1", FP), Replay)
    time.sleep(1.2)
    assert isinstance(s.begin("client-a", "key-1", FP), New)


def test_default_ttl_is_a_day(redis_client: redis.Redis) -> None:
    s = store(redis_client)
    first = claim(s.begin("client-a", "key-1", FP))
    assert 0 < redis_client.pttl(first.redis_key) <= 60_000  # the lease
    s.complete(first, ACCEPTED)
    assert 24 * 3600 - 5 < redis_client.ttl(first.redis_key) <= 24 * 3600


def test_invalid_key_is_refused(redis_client: redis.Redis) -> None:
    with pytest.raises(InvalidIdempotencyKeyError):
        store(redis_client).begin("client-a", "has space", FP)


def test_the_event_loop_methods_share_claims_with_the_blocking_ones(
    redis_client: redis.Redis, redis_url: str
) -> None:
    async def scenario() -> None:
        async_client = aioredis.Redis.from_url(redis_url)
        try:
            s = store(redis_client, async_client=async_client)
            first = claim(await s.abegin("client-a", "key-1", FP))
            assert isinstance(s.begin("client-a", "key-1", FP), InProgress)
            assert await s.abegin("client-a", "key-1", OTHER_FP) == Conflict()
            assert await s.aabandon(first)
            assert not await s.aabandon(first)
            second = claim(s.begin("client-a", "key-1", FP))
            assert not await s.acomplete(first, ACCEPTED)
            assert await s.acomplete(second, ACCEPTED)
            assert await s.abegin("client-a", "key-1", FP) == Replay(ACCEPTED)
        finally:
            await async_client.aclose()

    asyncio.run(scenario())


def test_an_async_waiting_duplicate_gets_the_first_answer_without_blocking_the_loop(
    redis_client: redis.Redis, redis_url: str
) -> None:
    async def scenario() -> tuple[BeginResult, int]:
        async_client = aioredis.Redis.from_url(redis_url)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        try:
            s = store(redis_client, wait_s=2.0, async_client=async_client)
            first = claim(await s.abegin("client-a", "key-1", FP))
            background = asyncio.create_task(ticker())
            asyncio.get_running_loop().call_later(
                0.2, lambda: asyncio.ensure_future(s.acomplete(first, ACCEPTED))
            )
            result = await s.abegin("client-a", "key-1", FP)
            background.cancel()
            return result, ticks
        finally:
            await async_client.aclose()

    result, ticks = asyncio.run(scenario())
    assert result == Replay(ACCEPTED)
    assert ticks >= 10  # the loop kept running while the duplicate waited


def test_without_an_async_client_the_event_loop_methods_still_work(
    redis_client: redis.Redis,
) -> None:
    async def scenario() -> BeginResult:
        s = store(redis_client)
        first = claim(await s.abegin("client-a", "key-1", FP))
        assert await s.acomplete(first, ACCEPTED)
        return await s.abegin("client-a", "key-1", FP)

    assert asyncio.run(scenario()) == Replay(ACCEPTED)
