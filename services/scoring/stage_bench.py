"""The scoring stage's own throughput: ``ScoringHandler`` on batches of realistic events.

Events are made the way production makes them: generated applications put into the example
submission, accepted and protected by ingest's own ``accept`` (fresh keys per run), and advanced
past a passing fraud stage. The handler runs with the simulated bureau and internal data, the
real policy tables, the model and its reasons, in batches of ``batch_size`` — everything the
stage computes. Kafka and the Redis ``Once`` round trips are left out (``Once`` is replaced by a
direct call); the runtime benchmark measures the transport on its own.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import SecretStr

from services.common.contracts import FraudResult, FraudScreened, Scored, Topics
from services.common.heap import freeze_startup_heap
from services.common.runtime import Envelope
from services.common.runtime.cloudevents import CloudEvent
from services.ingest.intake import Accepted, IntakeConfig, accept
from services.ingest.settings import IngestSettings
from services.scoring.bureau import SimulatedBureau, SimulatedInternalData
from services.scoring.data.generator import GeneratedTable
from services.scoring.data.submissions import submission_body
from services.scoring.handler import ScoringHandler
from services.scoring.policy import CreditPolicy
from services.scoring.training.artifact import LoadedModel

T = TypeVar("T")


class _RunNow:
    """Stands in for ``Once``: every call runs; the Redis round trips are not measured here."""

    def many(self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1) -> list[T]:
        return [fn() for _, fn in calls]


def _intake_config() -> IntakeConfig:
    key = base64.b64encode(os.urandom(32)).decode()
    settings = IngestSettings(
        ssn_token_key=SecretStr(key),
        pii_keys={"bench": SecretStr(key)},
        pii_active_key_id="bench",
    )
    return IntakeConfig.from_settings(settings)


def fraud_screened_events(table: GeneratedTable, count: int) -> list[Envelope[Any]]:
    """Up to ``count`` envelopes of applications from ``table`` that ingest accepts."""
    config = _intake_config()
    now = datetime.now(UTC)
    envelopes: list[Envelope[Any]] = []
    for index in range(table.rows):
        if len(envelopes) == count:
            break
        result = accept(
            submission_body(table, index),
            application_id=uuid.uuid4(),
            received_at=now,
            config=config,
        )
        if not isinstance(result, Accepted):
            continue  # e.g. a stated age that the example's birth date contradicts
        fraud = FraudResult(
            status="pass", completed_at=now + timedelta(seconds=1), stage_version="bench"
        )
        case = result.event.advance(FraudScreened, fraud=fraud)
        key = str(case.application_id)
        envelopes.append(
            Envelope(
                topic=Topics.FRAUD_SCREENED.name,
                partition=0,
                offset=len(envelopes),
                key=key,
                value=case,
                event=CloudEvent.new(
                    type=Topics.FRAUD_SCREENED.ce_type, source="bench", subject=key
                ),
            )
        )
    return envelopes


def bench_handler(model: LoadedModel) -> ScoringHandler:
    """The scoring handler as the benchmarks run it: simulated bureau, shipped policy, and
    every ``Once`` call run directly."""
    return ScoringHandler(
        bureau=SimulatedBureau(),
        internal_data=SimulatedInternalData(),
        once=_RunNow(),
        model=model,
        policy=CreditPolicy(),
        stage_version="bench",
    )


def stage_throughput(
    model: LoadedModel, envelopes: Sequence[Envelope[Any]], batch_size: int, repeats: int = 3
) -> dict[str, Any]:
    """Applications per second through the handler, and how they were decided."""
    handler = bench_handler(model)
    handler(envelopes[:batch_size])  # warm caches and lazy imports outside the timing
    freeze_startup_heap()  # as the stage runtime does once it has started
    statuses: dict[str, int] = {}
    best = float("inf")
    # Best of a few passes, like the batch figure: other work on the machine only ever slows
    # a pass down, so the fastest one is the closest to what the stage itself costs.
    for _ in range(repeats):
        statuses = {}
        started = time.perf_counter()
        for start in range(0, len(envelopes), batch_size):
            for emit in handler(envelopes[start : start + batch_size]):
                assert isinstance(emit.value, Scored)
                status = emit.value.scoring.status
                statuses[status] = statuses.get(status, 0) + 1
        best = min(best, time.perf_counter() - started)
    return {
        "stage_eps": round(len(envelopes) / best),
        "stage_events": len(envelopes),
        "stage_batch_size": batch_size,
        "stage_passes": repeats,
        "stage_statuses": statuses,
    }
