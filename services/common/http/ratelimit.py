"""Per-client rate limits in Redis: GCRA in one Lua script, one round trip per request.

The generic cell rate algorithm keeps one number per client, its *theoretical arrival time*
(TAT): a client may send ``burst`` requests at once, then one every ``1 / rate_per_s`` seconds.
The script reads the TAT, decides and writes it back atomically, using the Redis server's clock
(``TIME``) so that instances with drifting clocks share one view. The key expires when the
bucket is full again, so idle clients cost nothing.

Limits are per ``Principal.client_id``: a default rule plus per-client overrides. A request that
exceeds its limit gets ``429`` with ``Retry-After`` (whole seconds, at least 1).

When Redis cannot be reached the limiter **fails closed** by default: ``503`` with
``Retry-After: 1``. An unmetered front door lets one misbehaving client take every other client's
capacity exactly when the platform is degraded; a service that prefers availability sets
``RATE_LIMIT_ON_REDIS_ERROR=open`` and requests then pass (logged as warnings). Give the
limiter's Redis client a short socket timeout so that an unreachable Redis fails fast.

Usage::

    install_rate_limiter(app, RateLimiter.from_settings(client, rate_limit_settings_for(
        "PRESCREEN_INGEST_"), prefix="prescreen", scope="ingest"))
    router = APIRouter(dependencies=[Depends(enforce_rate_limit)])
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

import redis
import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool

from services.common.http.auth import Authenticated
from services.common.http.errors import RATE_LIMITED, SERVICE_UNAVAILABLE, ProblemError

log = logging.getLogger(__name__)

STATE_ATTRIBUTE = "prescreen_rate_limiter"
_MICROS = 1_000_000

# KEYS[1] the client's TAT; ARGV: emission interval (us), burst, cost.
# Returns {allowed (0/1), retry after (us), remaining}. Numbers are written with %.0f: Lua's
# default formatting would round a microsecond timestamp to 14 significant digits.
_GCRA = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end
local new_tat = tat + interval * cost
local allow_at = new_tat - interval * burst
if allow_at > now then
  return {0, allow_at - now, 0}
end
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return {1, 0, math.floor((now - allow_at) / interval)}
"""


class RateLimitRule(BaseModel):
    """A sustained rate and the burst allowed on top of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_s: float = Field(gt=0, le=1_000_000, description="Sustained requests per second.")
    burst: int = Field(ge=1, le=1_000_000, description="Requests accepted at once.")


class RateLimitSettings(BaseSettings):
    """Rate limits of an HTTP service, read under its own prefix (``rate_limit_settings_for``)."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_HTTP_", extra="ignore", frozen=True)

    rate_limit_enabled: bool = True
    rate_limit_per_s: float = Field(default=50.0, gt=0, le=1_000_000)
    rate_limit_burst: int = Field(default=100, ge=1, le=1_000_000)
    rate_limit_overrides: dict[str, RateLimitRule] = Field(
        default_factory=dict,
        description='JSON: {"client-id": {"per_s": 200, "burst": 400}}',
    )
    rate_limit_on_redis_error: Literal["closed", "open"] = "closed"

    @property
    def default_rule(self) -> RateLimitRule:
        return RateLimitRule(per_s=self.rate_limit_per_s, burst=self.rate_limit_burst)


def rate_limit_settings_for(env_prefix: str, **values: Any) -> RateLimitSettings:
    """``RateLimitSettings`` read under a service's prefix, e.g. ``PRESCREEN_INGEST_``."""
    return RateLimitSettings(_env_prefix=env_prefix, **values)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one request against its client's limit."""

    allowed: bool
    retry_after_s: float
    remaining: int
    limit: int

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` in whole seconds, rounded up, never below 1."""
        return str(max(1, math.ceil(self.retry_after_s)))


class RateLimiter:
    """GCRA limiter keyed by client id under ``{prefix}:ratelimit:{scope}:``."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        scope: str,
        default: RateLimitRule,
        overrides: Mapping[str, RateLimitRule] | None = None,
        fail_open: bool = False,
        enabled: bool = True,
        async_client: aioredis.Redis | None = None,
    ) -> None:
        self._namespace = f"{prefix}:ratelimit:{scope}"
        # With an asyncio client the check runs on the event loop: no thread-pool hop per request.
        self._async_script = async_client.register_script(_GCRA) if async_client else None
        self._default = default
        self._overrides = dict(overrides or {})
        self._script = client.register_script(_GCRA)
        self.fail_open = fail_open
        self.enabled = enabled

    @classmethod
    def from_settings(
        cls,
        client: redis.Redis,
        settings: RateLimitSettings,
        *,
        prefix: str,
        scope: str,
        async_client: aioredis.Redis | None = None,
    ) -> RateLimiter:
        return cls(
            client,
            async_client=async_client,
            prefix=prefix,
            scope=scope,
            default=settings.default_rule,
            overrides=settings.rate_limit_overrides,
            fail_open=settings.rate_limit_on_redis_error == "open",
            enabled=settings.rate_limit_enabled,
        )

    def rule_for(self, client_id: str) -> RateLimitRule:
        return self._overrides.get(client_id, self._default)

    def _request(self, client_id: str, cost: int) -> tuple[RateLimitRule, str, list[int]]:
        rule = self.rule_for(client_id)
        if not 1 <= cost <= rule.burst:
            raise ValueError(f"cost must be between 1 and the burst ({rule.burst})")
        interval_us = max(1, round(_MICROS / rule.per_s))
        key = f"{self._namespace}:{quote(client_id, safe='')}"
        return rule, key, [interval_us, rule.burst, cost]

    @property
    def is_async(self) -> bool:
        return self._async_script is not None

    async def ahit(self, client_id: str, cost: int = 1) -> RateDecision:
        """``hit`` on the event loop; needs the limiter built with an ``async_client``."""
        if self._async_script is None:
            raise RuntimeError("this limiter has no asyncio client")
        rule, key, args = self._request(client_id, cost)
        allowed, retry_us, remaining = await self._async_script(keys=[key], args=args)
        return _decision(rule, allowed, retry_us, remaining)

    def hit(self, client_id: str, cost: int = 1) -> RateDecision:
        """Count one request (of ``cost`` units) for ``client_id``.

        Raises ``redis.RedisError`` when Redis fails; the caller applies ``fail_open``.
        """
        rule, key, args = self._request(client_id, cost)
        allowed, retry_us, remaining = self._script(keys=[key], args=args)
        return _decision(rule, allowed, retry_us, remaining)


def _decision(rule: RateLimitRule, allowed: Any, retry_us: Any, remaining: Any) -> RateDecision:
    return RateDecision(
        allowed=bool(allowed),
        retry_after_s=int(retry_us) / _MICROS,
        remaining=int(remaining),
        limit=rule.burst,
    )


def install_rate_limiter(app: FastAPI, limiter: RateLimiter) -> None:
    """Make ``limiter`` the one ``enforce_rate_limit`` uses in ``app``."""
    setattr(app.state, STATE_ATTRIBUTE, limiter)


async def get_rate_limiter(request: Request) -> RateLimiter:
    """The app's ``RateLimiter`` (override in tests with ``app.dependency_overrides``)."""
    limiter = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(limiter, RateLimiter):
        raise RuntimeError("install_rate_limiter(app, limiter) was not called")
    return limiter


async def enforce_rate_limit(
    principal: Authenticated,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
) -> RateDecision | None:
    """Dependency: count the request against its client's limit; ``429`` or ``503`` if refused.

    With an asyncio Redis client the check runs on the event loop; otherwise the blocking call
    goes to the thread pool so it never stalls the loop. Returns None when limiting is disabled
    or Redis failed and the limiter fails open.
    """
    if not limiter.enabled:
        return None
    try:
        if limiter.is_async:
            decision = await limiter.ahit(principal.client_id)
        else:
            decision = await run_in_threadpool(limiter.hit, principal.client_id)
    except redis.RedisError as exc:
        if limiter.fail_open:
            log.warning("rate limiter unavailable, request let through: %s", type(exc).__name__)
            return None
        log.error("rate limiter unavailable, request refused: %s", type(exc).__name__)
        raise ProblemError(
            503,
            "rate limiter unavailable",
            type_=SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        ) from None
    if not decision.allowed:
        raise ProblemError(
            429,
            f"rate limit exceeded; retry after {decision.retry_after_header} s",
            title="Too many requests",
            type_=RATE_LIMITED,
            headers={"Retry-After": decision.retry_after_header},
        )
    return decision


RateLimited = Annotated[RateDecision | None, Depends(enforce_rate_limit)]
