"""Calling the handler: transient retries, poison isolation, output checks.

Kept apart from the Kafka loop so the failure policy can be read (and tested) on its own.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from services.common.contracts.dead_letter import FailureKind
from services.common.contracts.topics import ANY_WRITER, TopicSpec
from services.common.errors import PermanentError, TransientError, WriterViolationError
from services.common.logs import log_context
from services.common.runtime.envelope import Emit, Envelope, Reject

log = logging.getLogger(__name__)

# Failures of infrastructure the handler leans on (Redis for ``Once``, HTTP clients) heal by
# themselves; treating them as bugs would dead-letter good events during a short outage.
_TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    redis.ConnectionError,
    redis.TimeoutError,
    ConnectionError,
    TimeoutError,
)

Handler = Callable[[Sequence[Envelope[Any]]], Iterable[Emit | Reject]]


@dataclass(frozen=True, slots=True)
class Failure:
    """An input the stage gives up on."""

    envelope: Envelope[Any]
    kind: FailureKind
    error: BaseException
    attempts: int


@dataclass(slots=True)
class Outcome:
    emits: list[Emit] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    retries: int = 0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int
    backoff_s: float
    backoff_max_s: float

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_s * (2 ** (attempt - 1))))


class HandlerInvoker:
    """Runs a handler over a batch and sorts the results into emits and failures."""

    def __init__(
        self,
        handler: Handler,
        *,
        service: str,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._handler = handler
        self._service = service
        self._policy = policy
        self._sleep = sleep

    def __call__(self, batch: Sequence[Envelope[Any]]) -> Outcome:
        outcome = Outcome()
        if batch:
            self._handle(list(batch), outcome)
        return outcome

    def _handle(self, batch: list[Envelope[Any]], outcome: Outcome) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                with _context_of(batch):
                    results = list(self._handler(batch))
                self._collect(batch, results, outcome)
                return
            except _TRANSIENT as exc:
                if attempt > self._policy.max_retries:
                    log.warning(
                        "transient failure persisted; dead-lettering the batch for replay",
                        extra={"events": len(batch), "error_class": type(exc).__name__},
                    )
                    outcome.failures.extend(
                        Failure(e, "retries_exhausted", exc, attempt) for e in batch
                    )
                    return
                outcome.retries += 1
                self._sleep(self._policy.delay(attempt))
            except Exception as exc:  # noqa: BLE001 - any handler bug must be isolated, not crash the loop
                if len(batch) == 1:
                    log.warning(
                        "handler failed permanently on an event",
                        extra={"error_class": type(exc).__name__, "offset": batch[0].offset},
                    )
                    outcome.failures.append(Failure(batch[0], "handler_error", exc, attempt))
                    return
                # One poison event must not take its batch down: retry the events one by one so
                # only the event that fails on its own is dead-lettered.
                for envelope in batch:
                    self._handle([envelope], outcome)
                return

    def _collect(
        self, batch: list[Envelope[Any]], results: list[Emit | Reject], outcome: Outcome
    ) -> None:
        emits: list[Emit] = []
        rejected: list[Failure] = []
        for result in results:
            if isinstance(result, Reject):
                rejected.append(Failure(result.cause, "rejected", PermanentError(result.reason), 1))
            elif isinstance(result, Emit):
                self._check_emit(result)
                emits.append(result)
            else:
                raise PermanentError(f"handler returned {type(result).__name__}, not Emit/Reject")
        outcome.emits.extend(emits)
        outcome.failures.extend(rejected)

    def _check_emit(self, emit: Emit) -> None:
        spec: TopicSpec[Any] = emit.topic
        if spec.writer not in (self._service, ANY_WRITER):
            raise WriterViolationError(
                f"service {self._service!r} may not write {spec.name!r} (owned by {spec.writer!r})"
            )
        if not isinstance(emit.value, spec.value_model):
            raise PermanentError(
                f"{spec.name} takes {spec.value_model.__name__}, got {type(emit.value).__name__}"
            )


def _context_of(batch: list[Envelope[Any]]) -> contextlib.AbstractContextManager[None]:
    """Log lines of a single-event call carry its application id and trace id."""
    if len(batch) == 1:
        return log_context(batch[0].key, batch[0].event.trace_id)
    return contextlib.nullcontext()
