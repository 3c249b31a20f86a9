"""Wiring only: settings, adapters, handler, runtime.

Run as a process with ``python -m services.fraud.app``.
"""

from __future__ import annotations

import redis

from services.common.contracts import FraudScreened, Topics
from services.common.contracts.topics import TopicSpec
from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.fraud.allowlist import AllowList
from services.fraud.handler import FraudHandler
from services.fraud.metrics import FraudMetrics
from services.fraud.policy import FraudPolicy
from services.fraud.policy.codes import known_codes
from services.fraud.settings import FraudSettings
from services.fraud.velocity import VelocityTracker
from services.fraud.watchlist.models import Thresholds
from services.fraud.watchlist.source import WatchlistSource

SERVICE = "fraud"


def build_handler(
    settings: FraudSettings,
    client: redis.Redis,
    redis_settings: RedisSettings,
    metrics: FraudMetrics | None = None,
    *,
    output: TopicSpec[FraudScreened] = Topics.FRAUD_SCREENED,
) -> FraudHandler:
    thresholds = Thresholds(hit=settings.hit_threshold, review=settings.review_threshold)
    return FraudHandler(
        lists=WatchlistSource(
            settings.watchlist_dir,
            thresholds,
            interval_s=settings.watchlist_reload_interval_s,
        ),
        velocity=VelocityTracker(
            client,
            key_prefix=redis_settings.key_prefix,
            hmac_key=settings.velocity_key_bytes(),
        ),
        clearances=AllowList(client, key_prefix=redis_settings.key_prefix),
        policy=FraudPolicy(known_codes(), settings.policy_dir),
        cipher=settings.cipher(),
        stage_version=settings.stage_version,
        income_tolerance=settings.income_tolerance,
        metrics=metrics,
        output=output,
    )


def main() -> None:
    settings = FraudSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    metrics = FraudMetrics()
    runtime = StageRuntime(
        service=SERVICE,  # the writer of loan.applications.fraud-screened.v1
        inputs=[Topics.by_name(settings.input_topic)],
        handler=build_handler(settings, client, redis_settings, metrics),
        redis_client=client,
        redis_settings=redis_settings,
        metrics_registry=metrics.registry,
    )
    runtime.install_signal_handlers()
    runtime.run()


if __name__ == "__main__":
    main()
