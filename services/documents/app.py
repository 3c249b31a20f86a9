"""Wiring only: settings, adapters, handler, runtime.

Run as a process with ``python -m services.documents.app``.
"""

from __future__ import annotations

import redis

from services.common.contracts import DocumentsVerified, Topics
from services.common.contracts.topics import TopicSpec
from services.common.docstore import DocumentStoreSettings, build_store
from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.documents.handler import DocumentsHandler, Policy
from services.documents.metrics import DocumentsMetrics
from services.documents.parking import RedisParking
from services.documents.pool import ExtractionPool
from services.documents.ports import Extractor
from services.documents.requirements import load_requirements
from services.documents.settings import DocumentsSettings
from services.documents.textract.client import TextractAdapter
from services.documents.textract.extractor import TextractExtractor
from services.documents.waiting import WaitingRoom

SERVICE = "documents"


def build_extractor(
    settings: DocumentsSettings, client: redis.Redis, redis_settings: RedisSettings
) -> tuple[Extractor, ExtractionPool]:
    """The configured extractor, and the local pool (which the caller closes on shutdown)."""
    pool = ExtractionPool(
        settings.workers,
        max_pages=settings.max_pages_per_file,
        file_timeout_s=settings.file_timeout_s,
    )
    if settings.extractor == "local":
        return pool, pool
    once = Once(
        client, prefix=f"{redis_settings.key_prefix}:{SERVICE}", lease_s=settings.textract_lease_s
    )
    textract = TextractExtractor(TextractAdapter.from_settings(), once, settings.cipher(), pool)
    return textract, pool


def build_handler(
    settings: DocumentsSettings,
    extractor: Extractor,
    metrics: DocumentsMetrics | None = None,
    *,
    store_settings: DocumentStoreSettings | None = None,
    waiting: WaitingRoom | None = None,
    output: TopicSpec[DocumentsVerified] = Topics.DOCUMENTS_VERIFIED,
) -> DocumentsHandler:
    return DocumentsHandler(
        reader=build_store(store_settings or DocumentStoreSettings()),
        extractor=extractor,
        cipher=settings.cipher(),
        stage_version=settings.stage_version,
        policy=Policy(
            income_tolerance=settings.income_tolerance,
            min_field_confidence=settings.min_field_confidence,
            min_page_confidence=settings.min_page_confidence,
            when_nothing_uploaded=settings.when_nothing_uploaded,
            requirements=load_requirements(settings.requirements_file),
        ),
        waiting=waiting,
        metrics=metrics,
        output=output,
    )


def build_waiting_room(
    settings: DocumentsSettings, client: redis.Redis, redis_settings: RedisSettings
) -> WaitingRoom:
    """Applications waiting for documents, kept in Redis for the waiting period."""
    ttl_s = int(settings.await_documents_days * 24 * 3600)
    return WaitingRoom(RedisParking(client, prefix=redis_settings.key_prefix, ttl_s=ttl_s))


def main() -> None:
    settings = DocumentsSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    metrics = DocumentsMetrics()
    extractor, pool = build_extractor(settings, client, redis_settings)
    runtime = StageRuntime(
        service=SERVICE,  # the writer of loan.applications.documents-verified.v1
        # Uploads made after submission resume the applications waiting for them.
        inputs=[Topics.by_name(settings.input_topic), Topics.DOCUMENTS_UPLOADED],
        handler=build_handler(
            settings,
            extractor,
            metrics,
            waiting=build_waiting_room(settings, client, redis_settings),
        ),
        redis_client=client,
        redis_settings=redis_settings,
        settings=RuntimeSettings(batch_max_events=settings.batch_max_applications),
        metrics_registry=metrics.registry,
    )
    serve(runtime, pool)


def serve(runtime: StageRuntime, pool: ExtractionPool) -> None:
    """Run until SIGTERM or SIGINT, then stop the OCR workers too."""
    runtime.install_signal_handlers()
    try:
        runtime.run()
    finally:
        pool.close()


if __name__ == "__main__":
    main()
