"""Prometheus metrics of the fraud stage, in the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as CounterMetric

from services.common.contracts import FraudResult


class FraudMetrics:
    """What compliance and fraud analysts watch: outcomes, list bands, rules, clearances."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.applications = CounterMetric(
            "prescreen_fraud_applications",
            "Applications screened, by status and watch-list band.",
            ["status", "watchlist_band"],
            registry=self.registry,
        )
        self.rules = CounterMetric(
            "prescreen_fraud_rules",
            "Fraud rules that fired, by rule id.",
            ["rule_id"],
            registry=self.registry,
        )
        self.cleared = CounterMetric(
            "prescreen_fraud_cleared_matches",
            "Watch-list matches an analyst had cleared for the applicant, so they did not count.",
            registry=self.registry,
        )

    def observe(self, result: FraudResult) -> None:
        band = result.watchlist_band.value if result.watchlist_band else "none"
        self.applications.labels(result.status, band).inc()
        for rule_id in result.fraud_rule_ids:
            self.rules.labels(rule_id).inc()
        cleared = sum(1 for match in result.watchlist_matches if match.cleared is not None)
        if cleared:
            self.cleared.inc(cleared)
