"""The GCRA limiter against a real Redis: burst, refusal, recovery, isolation."""

from __future__ import annotations

import time

import redis

from services.common.http import RateLimiter, RateLimitRule


def limiter(client: redis.Redis, **overrides: RateLimitRule) -> RateLimiter:
    return RateLimiter(
        client,
        prefix="test",
        scope="svc",
        default=RateLimitRule(per_s=10, burst=3),
        overrides=overrides,
    )


def test_burst_then_refusal_with_retry_after(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client)
    decisions = [rl.hit("client-a") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    refused = rl.hit("client-a")
    assert not refused.allowed
    assert 0 < refused.retry_after_s <= 0.1
    assert refused.retry_after_header == "1"


def test_window_recovers(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client)
    for _ in range(3):
        assert rl.hit("client-a").allowed
    refused = rl.hit("client-a")
    assert not refused.allowed
    time.sleep(refused.retry_after_s + 0.02)
    assert rl.hit("client-a").allowed
    assert not rl.hit("client-a").allowed
    time.sleep(0.35)  # a full bucket again: the key expires with it
    assert [rl.hit("client-a").allowed for _ in range(4)] == [True, True, True, False]


def test_refusals_do_not_consume_budget(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client)
    for _ in range(3):
        rl.hit("client-a")
    for _ in range(20):
        assert not rl.hit("client-a").allowed
    time.sleep(0.12)
    assert rl.hit("client-a").allowed


def test_clients_are_isolated(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client)
    for _ in range(3):
        assert rl.hit("client-a").allowed
    assert not rl.hit("client-a").allowed
    assert rl.hit("client-b").allowed
    # Ids that would collide if concatenated naively stay apart.
    for _ in range(3):
        assert rl.hit("a:b").allowed
    assert rl.hit("a%3Ab").allowed


def test_per_client_override(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client, big=RateLimitRule(per_s=1, burst=10))
    assert sum(rl.hit("big").allowed for _ in range(12)) == 10
    refused = rl.hit("big")
    assert refused.limit == 10
    assert 0.9 < refused.retry_after_s <= 1.0
    assert sum(rl.hit("small").allowed for _ in range(12)) == 3


def test_idle_bucket_leaves_no_key(redis_client: redis.Redis) -> None:
    rl = limiter(redis_client)
    rl.hit("client-a")
    keys = redis_client.keys("test:ratelimit:svc:*")
    assert keys == [b"test:ratelimit:svc:client-a"]
    assert 0 < redis_client.pttl(keys[0]) <= 101
