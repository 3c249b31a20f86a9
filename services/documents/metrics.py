"""Prometheus metrics of the documents stage, in the runtime's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as CounterMetric

from services.common.contracts import DocumentsResult

_SECONDS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)


class DocumentsMetrics:
    """What operations and the risk team watch: outcomes, page kinds, unreadable files, time."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.applications = CounterMetric(
            "prescreen_documents_applications",
            "Applications examined, by status.",
            ["status"],
            registry=self.registry,
        )
        self.reasons = CounterMetric(
            "prescreen_documents_reasons",
            "Reasons the stage gave, by code.",
            ["code"],
            registry=self.registry,
        )
        self.files = CounterMetric(
            "prescreen_documents_files",
            "Files read, by result: read, unreadable, integrity, timeout.",
            ["result"],
            registry=self.registry,
        )
        self.pages = CounterMetric(
            "prescreen_documents_pages",
            "Pages read, by the kind they were classified as.",
            ["kind"],
            registry=self.registry,
        )
        self.resumed = CounterMetric(
            "prescreen_documents_resumed",
            "Applications waiting for documents that an upload resumed.",
            registry=self.registry,
        )
        self.extraction_seconds = Histogram(
            "prescreen_documents_batch_extraction_seconds",
            "Time to extract every file of one batch.",
            buckets=_SECONDS_BUCKETS,
            registry=self.registry,
        )

    def observe(self, result: DocumentsResult) -> None:
        self.applications.labels(result.status).inc()
        for reason in result.reasons:
            self.reasons.labels(reason.code).inc()
