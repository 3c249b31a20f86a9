"""Wiring only: settings, subscriptions, the guarded deliverer, ``Once``, the two stages.

``python -m services.notifier.webhooks`` runs the webhook stage (decisions and status changes
in, first attempts out); ``python -m services.notifier.webhooks retries`` runs the retry stage.
Run both: the first leaves every failed delivery to the second.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import redis
from prometheus_client import CollectorRegistry

from services.common.contracts import Topics
from services.common.contracts.dead_letter import DeadLetter
from services.common.contracts.notifications import WebhookRetry
from services.common.contracts.topics import TopicSpec, ValueT
from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.notifier.webhooks.delivery import WebhookDeliverer
from services.notifier.webhooks.dispatch import Dispatcher
from services.notifier.webhooks.handler import INPUTS, WebhookHandler
from services.notifier.webhooks.metrics import WebhookMetrics
from services.notifier.webhooks.owners import RedisOwners
from services.notifier.webhooks.retries import RetryHandler, retry_dedup_key
from services.notifier.webhooks.retry import RetryPolicy
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.subscriptions import SubscriptionRegistry

SERVICE: Final = "notifier"
DELIVERY_STAGE: Final = "notifier-webhooks"
RETRY_STAGE: Final = "notifier-webhook-retries"


@dataclass(frozen=True)
class WebhookTopics:
    """The stages' topics: the registry's, or renamed copies (tests, a second deployment)."""

    inputs: tuple[TopicSpec[Any], ...] = INPUTS
    retries: TopicSpec[WebhookRetry] = Topics.WEBHOOK_RETRIES
    dead_letters: TopicSpec[DeadLetter] = Topics.DLQ
    stage_prefix: str = ""
    """Prefix of the stage names, hence of the consumer groups."""

    @classmethod
    def prefixed(cls, prefix: str) -> WebhookTopics:
        def rename(spec: TopicSpec[ValueT]) -> TopicSpec[ValueT]:
            return dataclasses.replace(spec, name=f"{prefix}.{spec.name}")

        return cls(
            inputs=tuple(rename(spec) for spec in INPUTS),
            retries=rename(Topics.WEBHOOK_RETRIES),
            dead_letters=rename(Topics.DLQ),
            stage_prefix=f"{prefix}.",
        )


@dataclass
class WebhookParts:
    """What both stages share; ``close`` releases the HTTP connections."""

    settings: WebhookSettings
    registry: SubscriptionRegistry
    dispatcher: Dispatcher
    deliverer: WebhookDeliverer
    metrics: WebhookMetrics

    def close(self) -> None:
        self.deliverer.close()


def build_parts(
    settings: WebhookSettings, client: redis.Redis, redis_settings: RedisSettings, **deliverer: Any
) -> WebhookParts:
    """``deliverer`` passes options to ``WebhookDeliverer.from_settings`` (a resolver, TLS)."""
    registry = SubscriptionRegistry.from_settings(settings)
    # One attempt per call: the retry topic spaces the later ones out, off the partition.
    one_attempt = RetryPolicy(
        base_s=settings.backoff_base_s, cap_s=settings.backoff_cap_s, max_attempts=1
    )
    web = WebhookDeliverer.from_settings(settings, retry=one_attempt, **deliverer)
    policy = RetryPolicy(
        base_s=settings.backoff_base_s,
        cap_s=settings.backoff_cap_s,
        max_attempts=settings.max_attempts,
    )
    once = Once(
        client,
        prefix=f"{redis_settings.key_prefix}:{SERVICE}",
        lease_s=max(30.0, 3 * web.max_duration_s()),
    )
    metrics = WebhookMetrics()
    dispatcher = Dispatcher(web, once, policy, workers=settings.workers, metrics=metrics)
    return WebhookParts(settings, registry, dispatcher, web, metrics)


def delivery_runtime(
    parts: WebhookParts,
    client: redis.Redis,
    redis_settings: RedisSettings,
    *,
    topics: WebhookTopics | None = None,
    kafka: KafkaSettings | None = None,
    runtime: RuntimeSettings | None = None,
    in_transaction_hook: Callable[[], None] | None = None,
) -> StageRuntime:
    topics = topics or WebhookTopics()
    return StageRuntime(
        service=SERVICE,
        stage=topics.stage_prefix + DELIVERY_STAGE,
        inputs=list(topics.inputs),
        handler=WebhookHandler(
            parts.registry,
            parts.dispatcher,
            RedisOwners(client, prefix=redis_settings.key_prefix),
            retries=topics.retries,
        ),
        kafka=kafka,
        redis_client=client,
        redis_settings=redis_settings,
        settings=runtime,
        dead_letters=topics.dead_letters,
        metrics_registry=parts.metrics.registry,
        in_transaction_hook=in_transaction_hook,
    )


def retry_runtime(
    parts: WebhookParts,
    client: redis.Redis,
    redis_settings: RedisSettings,
    *,
    topics: WebhookTopics | None = None,
    kafka: KafkaSettings | None = None,
    runtime: RuntimeSettings | None = None,
    metrics_registry: CollectorRegistry | None = None,
) -> StageRuntime:
    """``metrics_registry``: the runtime's own, when both stages share one process (tests);
    by default the one holding the webhook metrics."""
    topics = topics or WebhookTopics()
    runtime = runtime or RuntimeSettings()
    batch = min(runtime.batch_max_events, parts.settings.retry_batch_max_events)
    return StageRuntime(
        service=SERVICE,
        stage=topics.stage_prefix + RETRY_STAGE,
        inputs=[topics.retries],
        handler=RetryHandler(
            parts.registry, parts.dispatcher, metrics=parts.metrics, retries=topics.retries
        ),
        kafka=kafka,
        redis_client=client,
        redis_settings=redis_settings,
        settings=runtime.model_copy(update={"batch_max_events": batch}),
        dead_letters=topics.dead_letters,
        dedup_key=retry_dedup_key,
        metrics_registry=metrics_registry or parts.metrics.registry,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.notifier.webhooks")
    parser.add_argument("stage", nargs="?", choices=("deliveries", "retries"), default="deliveries")
    parser.add_argument(
        "--topic-prefix",
        default="",
        help="Run on the registry's topics renamed '<prefix>.<topic>' (a second deployment).",
    )
    args = parser.parse_args(argv)
    topics = WebhookTopics.prefixed(args.topic_prefix) if args.topic_prefix else WebhookTopics()
    settings = WebhookSettings()
    stage = RETRY_STAGE if args.stage == "retries" else DELIVERY_STAGE
    configure_logging(stage)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    parts = build_parts(settings, client, redis_settings)
    build = retry_runtime if args.stage == "retries" else delivery_runtime
    runtime = build(parts, client, redis_settings, topics=topics)
    runtime.install_signal_handlers()
    try:
        runtime.run()
    finally:
        parts.close()
