"""Prometheus counters of applicant notifications, in the runtime's registry."""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as CounterMetric

FailureKind = Literal["contact", "address", "permanent", "transient"]


class ApplicantMailMetrics:
    """E-mails sent, paper notices needed, failures and decisions waiting for their case.

    Counted when the side effect happens inside ``Once``, so a replay that returns a stored
    result counts nothing again.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._sent = CounterMetric(
            "prescreen_notifier_applicant_emails_sent",
            "Decision e-mails accepted by the mail adapter, by adapter and outcome.",
            ["adapter", "outcome"],
            registry=self.registry,
        )
        self._no_consent = CounterMetric(
            "prescreen_notifier_applicant_emails_skipped_no_consent",
            "Decisions not e-mailed because the applicant gave no e-communications consent "
            "(a paper notice is needed).",
            ["outcome"],
            registry=self.registry,
        )
        self._failed = CounterMetric(
            "prescreen_notifier_applicant_emails_failed",
            "Decision e-mails that failed, by adapter and kind.",
            ["adapter", "kind"],
            registry=self.registry,
        )
        self._parked = CounterMetric(
            "prescreen_notifier_applicant_decisions_parked",
            "Decisions that arrived before their case's contact and wait for it.",
            registry=self.registry,
        )

    def sent(self, adapter: str, outcome: str) -> None:
        self._sent.labels(adapter, outcome).inc()

    def skipped_no_consent(self, outcome: str) -> None:
        self._no_consent.labels(outcome).inc()

    def failed(self, adapter: str, kind: FailureKind) -> None:
        self._failed.labels(adapter, kind).inc()

    def parked(self) -> None:
        self._parked.inc()
