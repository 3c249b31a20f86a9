"""Wiring of the quote API: settings → Redis, catalogue, rules, auth, limiter → app → uvicorn.

Run with ``python -m services.offers.quotes`` (``PRESCREEN_OFFERS_API_HOST`` / ``_PORT``).
"""

from __future__ import annotations

import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI

from services.common.catalogue import load_catalogue
from services.common.http.auth import Authenticator
from services.common.http.auth_settings import auth_settings_for
from services.common.http.ratelimit import RateLimiter, rate_limit_settings_for
from services.common.logs import configure_logging
from services.common.settings import RedisSettings, redis_client
from services.common.status import StatusStore
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer
from services.offers.quotes.api import build_quote_app
from services.offers.quotes.context import QuoteContextStore
from services.offers.quotes.settings import ENV_PREFIX, QuoteApiSettings
from services.offers.settings import OffersSettings

SERVICE = "offers-quotes"


def build_app(
    *,
    settings: QuoteApiSettings | None = None,
    offers: OffersSettings | None = None,
    redis_settings: RedisSettings | None = None,
) -> FastAPI:
    """The quote API as deployed: contexts, statuses and rate limits in Redis (asyncio client,
    so no request blocks the event loop), credentials from ``PRESCREEN_OFFERS_API_*``."""
    settings = settings or QuoteApiSettings()
    offers = offers or OffersSettings()
    redis_settings = redis_settings or RedisSettings()
    prefix = redis_settings.key_prefix
    async_redis = aioredis.Redis.from_url(
        redis_settings.url,
        socket_timeout=redis_settings.socket_timeout_s,
        socket_connect_timeout=redis_settings.socket_timeout_s,
    )
    # The limiter's blocking client is never used here (the asyncio one is); it connects lazily.
    sync_redis = redis_client(redis_settings)

    async def close() -> None:
        await async_redis.aclose()
        sync_redis.close()

    return build_quote_app(
        Offerer(ProductRules(load_catalogue(offers.catalogue_file))),
        QuoteContextStore(async_client=async_redis, prefix=prefix),
        authenticator=Authenticator(auth_settings_for(ENV_PREFIX)),
        limiter=RateLimiter.from_settings(
            sync_redis,
            rate_limit_settings_for(ENV_PREFIX),
            prefix=prefix,
            scope="quotes",
            async_client=async_redis,
        ),
        status=StatusStore(async_redis, prefix=prefix),
        on_shutdown=close,
    )


def main() -> None:
    settings = QuoteApiSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    uvicorn.run(
        build_app(settings=settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
