"""When to try a webhook again, and how long to wait first.

Outcomes of one attempt:

* **2xx** — delivered.
* **408, 429, 5xx**, connection failures, timeouts, a host that does not resolve (now) —
  retryable. A ``Retry-After`` (seconds or an HTTP date) is respected, but never beyond the cap.
* **3xx** — permanent: redirects are not followed, since a redirect could point the notifier
  at an address the guard would have refused.
* **any other status** (other 4xx, 1xx, nonsense) and a URL the guard refuses — permanent;
  the delivery is dead-lettered at once.

Waits use exponential backoff with full jitter: after attempt ``n`` the wait is uniform in
``[0, min(cap, base * 2**(n-1))]``, which spreads retries of many deliveries after an outage.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import httpx

from services.notifier.webhooks.ssrf import BlockedUrlError, UnresolvableHostError

RETRYABLE_STATUSES: Final = frozenset({408, 429})


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Classification:
    """What one attempt's outcome means; ``reason`` is short and safe to log."""

    verdict: Verdict
    reason: str
    retry_after_s: float | None = None
    refused: bool = False
    """The URL guard stopped the attempt before anything was sent."""


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None.

    ``now_s`` is the current Unix time, used for the date form; a date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        return None
    return max(0.0, when.timestamp() - now_s)


def classify_status(
    status_code: int, *, retry_after: str | None = None, now_s: float = 0.0
) -> Classification:
    """The verdict on an HTTP response, from its status (and ``Retry-After``)."""
    if 200 <= status_code <= 299:
        return Classification(Verdict.DELIVERED, f"http {status_code}")
    if 300 <= status_code <= 399:
        return Classification(Verdict.PERMANENT, f"http {status_code}: redirect not followed")
    if status_code in RETRYABLE_STATUSES or 500 <= status_code <= 599:
        return Classification(
            Verdict.RETRY, f"http {status_code}", parse_retry_after(retry_after, now_s)
        )
    return Classification(Verdict.PERMANENT, f"http {status_code}")


def classify_error(error: BaseException) -> Classification:
    """The verdict on an attempt that got no response."""
    name = type(error).__name__
    if isinstance(error, BlockedUrlError):  # its message names the host, never the path
        return Classification(Verdict.PERMANENT, f"destination refused: {error}", refused=True)
    if isinstance(error, UnresolvableHostError):
        return Classification(Verdict.RETRY, str(error))
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return Classification(Verdict.RETRY, name)
    if isinstance(error, httpx.ProxyError):
        return Classification(Verdict.RETRY, name)
    # LocalProtocolError, UnsupportedProtocol, InvalidURL, TooManyRedirects ...: our request
    # is wrong, and sending it again will not make it right.
    return Classification(Verdict.PERMANENT, name)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by ``cap_s`` and ``max_attempts``."""

    base_s: float = 1.0
    cap_s: float = 30.0
    max_attempts: int = 3
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.base_s > 0 and self.cap_s >= self.base_s):
            raise ValueError("backoff needs 0 < base_s <= cap_s")
        if not (math.isfinite(self.cap_s) and self.max_attempts >= 1):
            raise ValueError("backoff needs a finite cap and at least one attempt")

    def ceiling(self, attempt: int) -> float:
        """The largest wait after attempt ``attempt`` (1-based): ``min(cap, base * 2**(n-1))``."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        exponent = min(attempt - 1, 62)  # past this, the cap has long won
        return min(self.cap_s, self.base_s * 2.0**exponent)

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after attempt ``attempt`` failed and before the next one.

        Uniform in ``[0, ceiling(attempt)]``; at least ``retry_after_s`` when the receiver
        asked for it, and never more than ``cap_s``.
        """
        jittered = self.random() * self.ceiling(attempt)
        if retry_after_s is not None:
            jittered = max(jittered, retry_after_s)
        return min(self.cap_s, max(0.0, jittered))

    def has_attempts_left(self, attempts_made: int) -> bool:
        return attempts_made < self.max_attempts
