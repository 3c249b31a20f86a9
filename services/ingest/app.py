"""Wiring of the ingest HTTP service: settings → parts → FastAPI app → uvicorn.

Run with ``python -m services.ingest.app`` (``PRESCREEN_INGEST_HTTP_HOST``/``_PORT``). The Kafka
intake runs as its own process: ``python -m services.ingest.stage``.
"""

from __future__ import annotations

import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.docstore.settings import DocumentStoreSettings, build_store
from services.common.http.auth import Authenticator
from services.common.http.auth_settings import auth_settings_for
from services.common.http.idempotency import IdempotencyStore, idempotency_settings_for
from services.common.http.ratelimit import RateLimiter, rate_limit_settings_for
from services.common.logs import configure_logging
from services.common.publisher import EventPublisher
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.common.status import StatusStore
from services.ingest.http.app import create_app
from services.ingest.http.deps import IngestDependencies
from services.ingest.intake import IntakeConfig
from services.ingest.settings import IngestSettings

ENV_PREFIX = "PRESCREEN_INGEST_"


class IngestHttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_INGEST_HTTP_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    long_poll_max_s: float = Field(default=30.0, gt=0, le=60)


def build_app(
    *,
    ingest: IngestSettings | None = None,
    http: IngestHttpSettings | None = None,
    kafka: KafkaSettings | None = None,
    redis_settings: RedisSettings | None = None,
    documents: DocumentStoreSettings | None = None,
) -> FastAPI:
    ingest = ingest or IngestSettings()
    http = http or IngestHttpSettings()
    redis_settings = redis_settings or RedisSettings()
    sync_redis = redis_client(redis_settings)
    async_redis = aioredis.Redis.from_url(
        redis_settings.url,
        socket_timeout=redis_settings.socket_timeout_s,
        socket_connect_timeout=redis_settings.socket_timeout_s,
    )
    deps = IngestDependencies(
        intake=IntakeConfig.from_settings(ingest),
        publisher=EventPublisher(kafka or KafkaSettings(), service="ingest"),
        status=StatusStore(async_redis, prefix=redis_settings.key_prefix),
        documents=build_store(documents or DocumentStoreSettings()),
        long_poll_max_s=http.long_poll_max_s,
    )
    prefix = redis_settings.key_prefix
    return create_app(
        deps,
        authenticator=Authenticator(auth_settings_for(ENV_PREFIX)),
        limiter=RateLimiter.from_settings(
            sync_redis,
            rate_limit_settings_for(ENV_PREFIX),
            prefix=prefix,
            scope="ingest",
            async_client=async_redis,
        ),
        idempotency=IdempotencyStore.from_settings(
            sync_redis,
            idempotency_settings_for(ENV_PREFIX),
            prefix=prefix,
            scope="ingest",
            async_client=async_redis,
        ),
    )


def main() -> None:
    ingest = IngestSettings()
    configure_logging("ingest", ingest.log_level, ingest.log_redact_pii)
    http = IngestHttpSettings()
    uvicorn.run(
        build_app(ingest=ingest, http=http),
        host=http.host,
        port=http.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
