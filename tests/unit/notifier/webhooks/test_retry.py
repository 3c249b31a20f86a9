"""Outcome classification, Retry-After and full-jitter backoff bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from services.notifier.webhooks.retry import (
    RetryPolicy,
    Verdict,
    classify_error,
    classify_status,
    parse_retry_after,
)
from services.notifier.webhooks.ssrf import BlockedUrlError, UnresolvableHostError

NOW = 1_750_000_000.0


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status: int) -> None:
    assert classify_status(status).verdict is Verdict.DELIVERED


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_408_429_and_5xx_are_retryable(status: int) -> None:
    assert classify_status(status).verdict is Verdict.RETRY


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 413, 422, 451])
def test_other_4xx_are_permanent(status: int) -> None:
    classification = classify_status(status)
    assert classification.verdict is Verdict.PERMANENT
    assert classification.reason == f"http {status}"
    assert not classification.refused


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_permanent_and_not_followed(status: int) -> None:
    classification = classify_status(status)
    assert classification.verdict is Verdict.PERMANENT
    assert "redirect not followed" in classification.reason


@pytest.mark.parametrize("status", [100, 199, 600, 999])
def test_anything_else_is_permanent(status: int) -> None:
    assert classify_status(status).verdict is Verdict.PERMANENT


def test_retry_after_is_read_from_retryable_answers_only() -> None:
    assert classify_status(503, retry_after="7").retry_after_s == 7.0
    assert classify_status(429, retry_after="120").retry_after_s == 120.0
    assert classify_status(410, retry_after="7").retry_after_s is None


def test_retry_after_forms() -> None:
    later = datetime.fromtimestamp(NOW + 42, UTC)
    earlier = datetime.fromtimestamp(NOW - 42, UTC)
    assert parse_retry_after("0", NOW) == 0.0
    assert parse_retry_after(" 15 ", NOW) == 15.0
    assert parse_retry_after(format_datetime(later, usegmt=True), NOW) == 42.0
    assert parse_retry_after(format_datetime(earlier, usegmt=True), NOW) == 0.0
    for bad in (None, "", "-3", "1.5", "soon", "²", "Mon, 99 Foo 2025 00:00:00 GMT"):
        assert parse_retry_after(bad, NOW) is None


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.PoolTimeout("busy"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("peer closed"),
        UnresolvableHostError("host 'x' does not resolve"),
    ],
)
def test_network_failures_are_retryable(error: Exception) -> None:
    assert classify_error(error).verdict is Verdict.RETRY


def test_guard_refusal_is_permanent_and_marked() -> None:
    classification = classify_error(BlockedUrlError("host 'x' resolves to a loopback address"))
    assert classification.verdict is Verdict.PERMANENT
    assert classification.refused
    assert "loopback" in classification.reason


@pytest.mark.parametrize(
    "error",
    [httpx.LocalProtocolError("bad header"), httpx.UnsupportedProtocol("ftp"), ValueError("x")],
)
def test_our_own_mistakes_are_permanent(error: Exception) -> None:
    assert classify_error(error).verdict is Verdict.PERMANENT


def test_backoff_ceiling_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=10.0, max_attempts=8)
    assert [policy.ceiling(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert policy.ceiling(10_000) == 10.0


def test_full_jitter_stays_within_bounds_and_spreads() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=30.0, max_attempts=10, random=random.Random(7).random)
    for attempt in range(1, 10):
        ceiling = policy.ceiling(attempt)
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        # Full jitter: the waits cover the whole range, not a band near the ceiling.
        assert min(delays) < ceiling * 0.1
        assert max(delays) > ceiling * 0.9


def test_jitter_is_reproducible_with_a_seeded_random() -> None:
    first = RetryPolicy(random=random.Random(3).random)
    second = RetryPolicy(random=random.Random(3).random)
    assert [first.delay(n) for n in (1, 2, 3)] == [second.delay(n) for n in (1, 2, 3)]


def test_jitter_extremes() -> None:
    assert RetryPolicy(base_s=2.0, random=lambda: 0.0).delay(3) == 0.0
    assert RetryPolicy(base_s=2.0, random=lambda: 1.0).delay(3) == 8.0


def test_retry_after_is_respected_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=30.0, random=lambda: 0.0)
    assert policy.delay(1, retry_after_s=12.0) == 12.0
    assert policy.delay(1, retry_after_s=3600.0) == 30.0
    assert RetryPolicy(random=lambda: 1.0).delay(5, retry_after_s=1.0) == 16.0


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.has_attempts_left(n) for n in (1, 2, 3)] == [True, True, False]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_s": 0.0},
        {"base_s": 5.0, "cap_s": 1.0},
        {"max_attempts": 0},
        {"cap_s": float("inf")},
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().ceiling(0)
