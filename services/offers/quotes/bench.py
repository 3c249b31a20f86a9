"""How fast a quote is: the checks and pricing alone, then the whole HTTP route, each next to a
baseline measured in the same run.

``bench_quotes(n)`` drives ``n`` slider positions (a seeded mix of amounts and terms of a car loan
for one applicant; about a quarter of them unaffordable, which is the dearer path: it searches
for the largest affordable amount and the shortest affordable term) through

* **compute** — ``QuoteContext.borrower()`` + ``rules.evaluate`` in process (eligibility, ranges,
  affordability, pricing), against the baseline of a bare ``pricing.price`` of the same loans;
* **asgi** — ``POST /v1/quotes`` through the FastAPI app in process (``httpx.ASGITransport``, no
  sockets): API-key authentication, body validation, the context read, the rules, the JSON
  response; against the baseline of ``GET /healthz`` through the same transport, which is the
  framework's own cost. Without ``redis_url`` the contexts come from memory and no rate limit
  applies; with it they come from ``QuoteContextStore`` and every request also passes the rate
  limiter, as deployed (loopback Redis only: this is a benchmark, not a load test).

One request at a time on one thread: latencies are service times, not queueing under load.
Times are wall-clock nanoseconds; percentiles are nearest-rank.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import httpx
import redis
import redis.asyncio as aioredis
from fastapi import FastAPI

from services.common.bench.stats import percentile
from services.common.catalogue import load_catalogue
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership, LoanProduct
from services.common.contracts.stages import RiskGrade
from services.common.http.auth import Authenticator
from services.common.http.auth_settings import AuthSettings, api_key_hash
from services.common.http.ratelimit import RateLimiter, RateLimitRule
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer
from services.offers.pricing import price
from services.offers.quotes.api import build_quote_app
from services.offers.quotes.context import QuoteContext, QuoteContextStore
from services.offers.quotes.rules import evaluate

TARGET_P99_MS: Final = 10.0
CLIENT: Final = "bench-bank"
API_KEY: Final = "bench-quotes-key-" + "q" * 32
PRODUCT: Final = LoanProduct.CAR
WARM_UP: Final = 200
SCHEDULE_REQUESTS: Final = 1000


@dataclass(frozen=True, slots=True)
class _Slider:
    amount: Decimal
    term_months: int


class _MemoryContexts:
    """Contexts in a dict: the route's cost without Redis."""

    def __init__(self, contexts: Sequence[QuoteContext]) -> None:
        self._by_id = {str(context.application_id): context for context in contexts}

    async def aget(self, application_id: str | uuid.UUID) -> QuoteContext | None:
        return self._by_id.get(str(application_id))

    async def aping(self) -> None:
        return None


def bench_quotes(n: int, *, redis_url: str | None = None, seed: int = 7) -> dict[str, Any]:
    """Quotes per second and p50/p99 latency (ms) of the quote path in process and through the
    ASGI app, each with its baseline; see the module docstring."""
    if n < 1:
        raise ValueError("n must be at least 1")
    offerer = Offerer(ProductRules(load_catalogue()))
    context = _context()
    sliders = _sliders(n, seed)

    def compute(slider: _Slider) -> object:
        return evaluate(offerer, context.borrower(), PRODUCT, slider.amount, slider.term_months)

    outcomes = [type(compute(slider)).__name__ for slider in sliders]
    rate = offerer.rate(PRODUCT, context.risk_grade)
    fee_rule = offerer.catalogue[PRODUCT].origination_fee

    def bare_price(slider: _Slider) -> object:
        return price(slider.amount, rate, slider.term_months, fee_rule.fee(slider.amount))

    compute_times = _timed(compute, sliders)
    by_outcome = {
        name: _latency([t for t, o in zip(compute_times.ns, outcomes, strict=True) if o == name])
        for name in sorted(set(outcomes))
    }
    report: dict[str, Any] = {
        "quotes": n,
        "product": PRODUCT.value,
        "outcomes": {name: outcomes.count(name) for name in sorted(set(outcomes))},
        "target_p99_ms": TARGET_P99_MS,
        "compute": compute_times.summary(),
        "compute_by_outcome": by_outcome,
        "baseline_price": _timed(bare_price, sliders).summary(),
    }
    report.update(asyncio.run(_asgi(offerer, context, sliders, redis_url)))
    return report


# --- measurement ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
    ns: list[int]
    elapsed_ns: int

    def summary(self) -> dict[str, float]:
        seconds = self.elapsed_ns / 1e9
        return {
            "per_s": round(len(self.ns) / seconds, 1) if seconds > 0 else 0.0,
            **_latency(self.ns),
        }


def _latency(ns: Sequence[int]) -> dict[str, float]:
    ms = [value / 1e6 for value in ns]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "max_ms": round(max(ms, default=0.0), 4),
    }


def _timed(call: Callable[[_Slider], object], sliders: Sequence[_Slider]) -> _Run:
    for slider in sliders[:WARM_UP]:
        call(slider)
    times: list[int] = []
    clock = time.perf_counter_ns
    start = clock()
    for slider in sliders:
        before = clock()
        call(slider)
        times.append(clock() - before)
    return _Run(times, clock() - start)


async def _asgi(
    offerer: Offerer, context: QuoteContext, sliders: Sequence[_Slider], redis_url: str | None
) -> dict[str, Any]:
    authenticator = Authenticator(
        AuthSettings(
            api_keys={CLIENT: {"sha256": api_key_hash(API_KEY), "scopes": ["quotes:read"]}}
        )
    )
    prefix = f"bench-quotes-{uuid.uuid4().hex[:8]}"
    async_redis = aioredis.Redis.from_url(redis_url) if redis_url else None
    # The limiter's blocking client is never used with an asyncio one; it connects lazily.
    sync_redis = redis.Redis.from_url(redis_url) if redis_url else None
    try:
        if async_redis is not None and sync_redis is not None:
            store = QuoteContextStore(async_client=async_redis, prefix=prefix)
            await store.asave_many([context])
            unlimited = RateLimitRule(per_s=1_000_000, burst=1_000_000)
            limiter = RateLimiter(
                sync_redis,
                prefix=prefix,
                scope="quotes",
                default=unlimited,
                async_client=async_redis,
            )
            app = build_quote_app(offerer, store, authenticator=authenticator, limiter=limiter)
        else:
            app = build_quote_app(offerer, _MemoryContexts([context]), authenticator=authenticator)
        quote = await _route_times(app, context, sliders, include_schedule=False)
        schedule = await _route_times(
            app, context, sliders[:SCHEDULE_REQUESTS], include_schedule=True
        )
        health = await _health_times(app, len(sliders))
        return {
            "asgi": {
                "context_store": "redis" if redis_url else "memory",
                "rate_limited": redis_url is not None,
                **quote.summary(),
            },
            "asgi_with_schedule": schedule.summary(),
            "asgi_baseline_healthz": health.summary(),
        }
    finally:
        if async_redis is not None:
            keys = [key async for key in async_redis.scan_iter(match=f"{prefix}:*")]
            if keys:
                await async_redis.delete(*keys)
            await async_redis.aclose()
        if sync_redis is not None:
            sync_redis.close()


async def _route_times(
    app: FastAPI, context: QuoteContext, sliders: Sequence[_Slider], *, include_schedule: bool
) -> _Run:
    headers = {"X-API-Key": API_KEY}
    bodies = [
        {
            "application_id": str(context.application_id),
            "product": PRODUCT.value,
            "amount": f"{slider.amount:.2f}",
            "term_months": slider.term_months,
            "include_schedule": include_schedule,
        }
        for slider in sliders
    ]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://q") as client,
    ):
        for body in bodies[:WARM_UP]:
            await client.post("/v1/quotes", json=body, headers=headers)
        times: list[int] = []
        clock = time.perf_counter_ns
        start = clock()
        for body in bodies:
            before = clock()
            response = await client.post("/v1/quotes", json=body, headers=headers)
            times.append(clock() - before)
            if response.status_code not in (200, 422):
                raise RuntimeError(f"quote failed: {response.status_code} {response.text[:200]}")
        return _Run(times, clock() - start)


async def _health_times(app: FastAPI, count: int) -> _Run:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://q") as client:
        for _ in range(min(count, WARM_UP)):
            await client.get("/healthz")
        times: list[int] = []
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(count):
            before = clock()
            await client.get("/healthz")
            times.append(clock() - before)
        return _Run(times, clock() - start)


# --- inputs --------------------------------------------------------------------------------


def _context() -> QuoteContext:
    return QuoteContext(
        application_id=uuid.uuid4(),
        owner=CLIENT,
        outcome=DecisionOutcome.APPROVED,
        risk_grade=RiskGrade.B,
        age=38,
        employment_status=EmploymentStatus.EMPLOYED,
        home_ownership=HomeOwnership.MORTGAGE,
        credit_score=712,
        monthly_income=Decimal("5500.00"),
        existing_monthly_debts=Decimal("700.00"),
        requested_product=PRODUCT,
        requested_amount=Decimal("25000.00"),
        requested_term_months=60,
        decided_at=datetime.now(UTC),
        catalogue_version="bench",
    )


def _sliders(n: int, seed: int) -> list[_Slider]:
    """Amounts in steps of 250 and terms in months across the car loan's ranges."""
    chooser = random.Random(seed)  # noqa: S311 - benchmark inputs, not security
    return [
        _Slider(Decimal(chooser.randrange(3_000, 60_001, 250)), chooser.randrange(6, 85))
        for _ in range(n)
    ]
