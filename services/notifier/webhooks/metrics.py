"""Prometheus metrics of webhook delivery, in the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.notifier.webhooks.delivery import DeliveryResult


class WebhookMetrics:
    """Attempts by kind and outcome, their duration, and what was dead-lettered."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.deliveries = Counter(
            "prescreen_notifier_webhook_deliveries",
            "Webhook deliveries by event kind and outcome (one attempt each, or a stored result).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "prescreen_notifier_webhook_delivery_seconds",
            "Time of one delivery attempt, connect to response.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.dead_lettered = Counter(
            "prescreen_notifier_webhook_dead_lettered",
            "Deliveries given up on and dead-lettered, by the last outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def observe(self, kind: str, result: DeliveryResult) -> None:
        self.deliveries.labels(kind, result.outcome.value).inc()
        self.duration.observe(result.duration_s)

    def gave_up(self, outcome: str) -> None:
        self.dead_lettered.labels(outcome).inc()
