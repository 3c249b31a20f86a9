"""Prometheus metrics of the scoring stage, next to the runtime's own in the same registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client import Counter as CounterMetric


class ScoringMetrics:
    """What a risk team watches: outcomes by grade, knock-outs, mismatches, models in use."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._versions: dict[str, str] = {}
        self.applications = CounterMetric(
            "prescreen_scoring_applications",
            "Applications scored, by status and risk grade (grade 'none' when not graded).",
            ["status", "grade"],
            registry=self.registry,
        )
        self.knockouts = CounterMetric(
            "prescreen_scoring_knockouts",
            "Knock-out rules that matched, by rule id.",
            ["rule_id"],
            registry=self.registry,
        )
        self.mismatches = CounterMetric(
            "prescreen_scoring_bureau_mismatches",
            "Stated figures the bureau contradicts, by field and severity.",
            ["field", "severity"],
            registry=self.registry,
        )
        self.challenger = CounterMetric(
            "prescreen_scoring_challenger_grades",
            "Shadow challenger scores, by the champion's grade and the challenger's.",
            ["champion_grade", "challenger_grade"],
            registry=self.registry,
        )
        self.challenger_failures = CounterMetric(
            "prescreen_scoring_challenger_failures",
            "Batches the challenger could not score (the champion decided them as usual).",
            registry=self.registry,
        )
        self.reloads = CounterMetric(
            "prescreen_scoring_model_reloads",
            "New model versions seen, by role and result (loaded or refused).",
            ["role", "result"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "prescreen_scoring_model_info",
            "1 for the model version each role scores with.",
            ["role", "version"],
            registry=self.registry,
        )

    def count(self, metric: CounterMetric, labels: Iterable[tuple[str, ...]]) -> None:
        """One increment per distinct label set of a batch, instead of one per event."""
        for values, amount in Counter(labels).items():
            metric.labels(*values).inc(amount)

    def using(self, role: str, version: str) -> None:
        """Mark ``version`` as the one ``role`` scores with, clearing the previous one."""
        previous = self._versions.get(role)
        if previous is not None and previous != version:
            self.model_info.remove(role, previous)
        self._versions[role] = version
        self.model_info.labels(role, version).set(1)
