"""Prometheus metrics of the offers stage, in the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as CounterMetric

from services.common.contracts.decision import LoanDecision
from services.offers.narrative.narrator import NarrationOutcome


class OffersMetrics:
    """Outcomes, offers, narrative sources and why the template stood in."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.decisions = CounterMetric(
            "prescreen_offers_decisions",
            "Decisions published, by outcome, product requested and deciding stage.",
            ["outcome", "product", "decided_by"],
            registry=self.registry,
        )
        self.offers = CounterMetric(
            "prescreen_offers_offers",
            "Offers made, by product.",
            ["product"],
            registry=self.registry,
        )
        self.narratives = CounterMetric(
            "prescreen_offers_narratives",
            "Narratives written, by source and, for templates, why the model was not used.",
            ["source", "fallback"],
            registry=self.registry,
        )
        self.waiting = CounterMetric(
            "prescreen_offers_awaiting_documents",
            "Cases passed over because they wait for documents (decided on a later revision).",
            registry=self.registry,
        )

    def observe(self, decision: LoanDecision) -> None:
        self.decisions.labels(
            decision.outcome.value, decision.requested.product.value, decision.decided_by.value
        ).inc()
        for offer in decision.offers:
            self.offers.labels(offer.product.value).inc()

    def narrated(self, outcome: NarrationOutcome) -> None:
        fallback = outcome.fallback.value if outcome.fallback is not None else "none"
        self.narratives.labels(outcome.narrative.source, fallback).inc()
