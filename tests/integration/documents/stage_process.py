"""The documents stage as its own process, on test topics, for the crash tests.

The service's own wiring (``build_handler``) with the topic names, store directory and worker
count the test chooses; Kafka and Redis come from the usual environment variables.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from services.common.contracts import Topics
from services.common.docstore import DocumentStoreSettings
from services.common.logs import configure_logging
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.documents.app import build_handler, serve
from services.documents.pool import ExtractionPool
from services.documents.settings import DocumentsSettings
from tests.unit.contracts import samples


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--dlq", required=True)
    parser.add_argument("--store-root", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args(argv)
    configure_logging("documents", level="INFO")
    settings = DocumentsSettings(
        pii_keys=samples.PII_KEYS_B64, workers=args.workers, stage_version="test"
    )
    pool = ExtractionPool(settings.workers, max_pages=40, file_timeout_s=120)
    runtime = StageRuntime(
        service="documents",
        stage=args.stage,
        inputs=[dataclasses.replace(Topics.RECEIVED, name=args.input)],
        handler=build_handler(
            settings,
            pool,
            store_settings=DocumentStoreSettings(local_root=args.store_root),
            output=dataclasses.replace(Topics.DOCUMENTS_VERIFIED, name=args.output),
        ),
        redis_client=redis_client(RedisSettings()),
        settings=RuntimeSettings(batch_max_events=args.batch),
        dead_letters=dataclasses.replace(Topics.DLQ, name=args.dlq),
    )
    serve(runtime, pool)


if __name__ == "__main__":
    main()
