"""The stage loop: consume a batch → decode → drop duplicates → handle → produce → commit.

Every batch is one Kafka transaction holding the outputs, the dead letters and the input
offsets, so a crash anywhere leaves either all of it or none of it visible to
``read_committed`` readers.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import redis
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from prometheus_client import CollectorRegistry

from services.common.contracts.dead_letter import DeadLetter, FailureKind
from services.common.contracts.topics import TopicSpec
from services.common.health import HealthServer
from services.common.heap import freeze_startup_heap
from services.common.idempotency import DuplicateFilter, key_of
from services.common.logs import log_context
from services.common.runtime.codec import Undecodable, dead_letter, decode
from services.common.runtime.envelope import Envelope
from services.common.runtime.handling import Handler, HandlerInvoker, Outcome, RetryPolicy
from services.common.runtime.metrics import StageMetrics, observe_all
from services.common.runtime.sealing import PayloadSealer
from services.common.runtime.settings import RuntimeSettings
from services.common.runtime.transactions import BatchCommitter
from services.common.settings import KafkaSettings, RedisSettings

log = logging.getLogger(__name__)

_IGNORED_CONSUMER_ERRORS = {KafkaError._PARTITION_EOF}


@dataclass(slots=True)
class RunStats:
    """What one ``run`` did; the integration tests assert on it."""

    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    batches: int = 0
    aborted: int = 0


class StageRuntime:
    """Runs one stage's handler against Kafka with exactly-once delivery."""

    def __init__(
        self,
        *,
        service: str,
        inputs: Sequence[TopicSpec[Any]],
        handler: Handler,
        kafka: KafkaSettings | None = None,
        redis_client: redis.Redis | None = None,
        redis_settings: RedisSettings | None = None,
        settings: RuntimeSettings | None = None,
        stage: str | None = None,
        dead_letters: TopicSpec[DeadLetter] | None = None,
        dedup_key: Any = key_of,
        metrics_registry: CollectorRegistry | None = None,
        in_transaction_hook: Callable[[], None] | None = None,
    ) -> None:
        """``in_transaction_hook`` runs inside each open transaction after the outputs were
        handed to the producer and before the commit — for fault-injection tests that need a
        crash to land mid-transaction, and for tracing."""
        if not inputs:
            raise ValueError("a stage needs at least one input topic")
        self.service = service
        self.stage = stage or service
        self._settings = settings or RuntimeSettings()
        self._kafka = kafka or KafkaSettings()
        self._inputs = {spec.name: spec for spec in inputs}
        self._metrics = StageMetrics(self.stage, metrics_registry)
        self._invoke = HandlerInvoker(
            handler,
            service=service,
            policy=RetryPolicy(
                self._settings.max_retries,
                self._settings.retry_backoff_s,
                self._settings.retry_backoff_max_s,
            ),
        )
        redis_settings = redis_settings or RedisSettings()
        self._dedup: DuplicateFilter | None = None
        if redis_client is not None:
            self._dedup = DuplicateFilter(
                redis_client,
                prefix=redis_settings.key_prefix,
                stage=self.stage,
                ttl_s=self._settings.dedup_ttl_s,
                key=dedup_key,
            )
        if dead_letters is None:
            from services.common.contracts.registry import Topics

            dead_letters = Topics.DLQ
        self._dead_letters = dead_letters
        self._in_transaction_hook = in_transaction_hook
        seal_key = self._settings.dead_letter_seal_key
        self._sealer = PayloadSealer(seal_key.get_secret_value()) if seal_key else None
        self._stop = threading.Event()
        self._assigned: set[tuple[str, int]] = set()
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._last_beat = time.monotonic()
        self._last_lag_refresh = 0.0
        self._consumer: Consumer | None = None
        self._committer: BatchCommitter | None = None
        self._health: HealthServer | None = None
        self.stats = RunStats()

    # ----------------------------------------------------------------- public API

    @property
    def metrics_registry(self) -> CollectorRegistry:
        return self._metrics.registry

    @property
    def health_port(self) -> int | None:
        return self._health.port if self._health else None

    def flush_producer(self) -> None:
        """Send produced records to the broker now; for hooks that run mid-transaction."""
        if self._committer is not None:
            self._committer.flush()

    def stop(self) -> None:
        """Ask the loop to finish the batch in hand, commit it and exit (signal-safe)."""
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def _on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping after the current batch", extra={"signal": signum})
            self.stop()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)

    def run(self, max_events: int | None = None, timeout: float | None = None) -> RunStats:
        """Process until stopped, ``max_events`` records were handled, or ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._start()
        freeze_startup_heap()
        try:
            while not self._stop.is_set():
                if max_events is not None and self.stats.consumed >= max_events:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                limit = self._settings.batch_max_events
                if max_events is not None:
                    limit = min(limit, max_events - self.stats.consumed)
                messages = self._poll(limit)
                self._last_beat = time.monotonic()
                if messages:
                    self._process(messages)
                self._refresh_lag()
        finally:
            self._shutdown()
        return self.stats

    # ----------------------------------------------------------------- lifecycle

    def _start(self) -> None:
        self._stop.clear()
        group = f"prescreen.{self.stage}"
        consumer = Consumer(
            {
                **self._kafka.client_config(),
                "group.id": group,
                "client.id": f"{self.stage}-{self._settings.instance_id}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": "cooperative-sticky",
                "session.timeout.ms": 10_000,
                "heartbeat.interval.ms": 1_000,
                "fetch.wait.max.ms": self._settings.fetch_wait_max_ms,
            }
        )
        consumer.subscribe(
            list(self._inputs),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        self._consumer = consumer
        self._committer = BatchCommitter(
            kafka=self._kafka,
            transactional_id=f"prescreen.{self.stage}.{self._settings.instance_id}",
            settings=self._settings,
            consumer=consumer,
            metrics=self._metrics,
        )
        if self._settings.health_port is not None:
            self._health = HealthServer(
                host=self._settings.health_host,
                port=self._settings.health_port,
                registry=self._metrics.registry,
                alive=self._alive,
                ready=self._ready,
            )
        log.info("stage started", extra={"stage": self.stage, "inputs": list(self._inputs)})

    def _shutdown(self) -> None:
        if self._consumer is not None:
            # Close leaves the group so the partitions move to another instance at once.
            self._consumer.close()
            self._consumer = None
        if self._committer is not None:
            self._committer.close()
            self._committer = None
        if self._health is not None:
            self._health.close()
            self._health = None
        self._assigned.clear()
        log.info("stage stopped", extra={"stage": self.stage, **vars_of(self.stats)})

    def _alive(self) -> tuple[bool, str]:
        idle = time.monotonic() - self._last_beat
        return idle < self._settings.liveness_stale_s, f"loop last turned {idle:.1f}s ago"

    def _ready(self) -> tuple[bool, str]:
        ready = bool(self._assigned) and self._committer is not None
        return ready, f"{len(self._assigned)} partitions assigned"

    # ----------------------------------------------------------------- rebalancing

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned.update((tp.topic, tp.partition) for tp in partitions)
        self._metrics.assigned.labels(self.stage).set(len(self._assigned))
        log.info("partitions assigned", extra={"partitions": _names(partitions)})

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Callbacks only fire inside poll, and every batch is committed before the next poll,
        # so a revoke never finds work in hand; the committer still commits anything open.
        if self._committer is not None:
            self._committer.commit_open_transaction()
        self._forget(partitions)
        log.info("partitions revoked", extra={"partitions": _names(partitions)})

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Lost means another member may already own them: never commit, only abort.
        if self._committer is not None:
            self._committer.abort_open_transaction()
        self._forget(partitions)
        log.warning("partitions lost", extra={"partitions": _names(partitions)})

    def _forget(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._assigned.discard((tp.topic, tp.partition))
            self._next_offsets.pop((tp.topic, tp.partition), None)
        self._metrics.assigned.labels(self.stage).set(len(self._assigned))

    # ----------------------------------------------------------------- one batch

    def _poll(self, limit: int) -> list[Message]:
        """Wait for the first record only, then take whatever else is already fetched.

        ``consume(n, timeout)`` waits the full timeout whenever fewer than n records are
        ready, which would add the poll timeout to every hop at low rates.
        """
        assert self._consumer is not None
        first = self._consumer.poll(self._settings.poll_timeout_s)
        if first is None:
            return []
        if limit <= 1:
            return [first]
        return [first, *self._consumer.consume(limit - 1, 0)]

    def _process(self, messages: list[Message]) -> None:
        assert self._committer is not None
        started = time.perf_counter()
        records = [m for m in messages if self._usable(m)]
        if not records:
            return
        envelopes: list[Envelope[Any]] = []
        dead: list[DeadLetter] = []
        for message in records:
            decoded = decode(message, self._inputs[message.topic() or ""])
            if isinstance(decoded, Undecodable):
                dead.append(self._dead_letter(decoded.message, decoded.kind, decoded.error, 1))
            else:
                envelopes.append(decoded)
        dedup = self._dedup
        try:
            fresh, duplicates = dedup.claim(envelopes) if dedup else (envelopes, [])
            outcome = self._invoke(fresh)
            failed = {f.envelope.coordinates for f in outcome.failures}
            dead.extend(
                self._dead_letter(_message_of(records, f.envelope), f.kind, f.error, f.attempts)
                for f in outcome.failures
            )
            given_up = [e for e in fresh if e.coordinates in failed]
            committed = self._committer.commit(
                records=records,
                emits=outcome.emits,
                dead_letters=dead,
                dead_letter_topic=self._dead_letters,
                source=f"/loan-prescreen/{self.stage}",
                before_commit=lambda: self._before_commit(given_up),
            )
        except redis.RedisError as exc:
            log.warning("batch not committed; rewinding", extra={"error_class": type(exc).__name__})
            committed = False
            self._committer.rewind(records)
            time.sleep(self._settings.retry_backoff_s)
        if not committed:
            self.stats.aborted += 1
            return
        self._account(records, envelopes, duplicates, outcome, dead, started)

    def _before_commit(self, given_up: list[Envelope[Any]]) -> None:
        if self._dedup is not None and given_up:
            self._dedup.release(given_up)
        if self._in_transaction_hook is not None:
            self._in_transaction_hook()

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return message.topic() in self._inputs
        if error.code() in _IGNORED_CONSUMER_ERRORS:
            return False
        if error.fatal():
            raise RuntimeError(f"fatal consumer error: {error.str()}")
        log.warning("consumer error", extra={"error": error.str(), "code": error.code()})
        return False

    def _dead_letter(
        self, message: Message, kind: FailureKind, error: BaseException, attempts: int
    ) -> DeadLetter:
        return dead_letter(
            message=message,
            stage=self.stage,
            kind=kind,
            error=error,
            attempts=attempts,
            sensitive=self._inputs[message.topic() or ""].sensitive,
            sealer=self._sealer,
        )

    def _account(
        self,
        records: list[Message],
        envelopes: list[Envelope[Any]],
        duplicates: list[Envelope[Any]],
        outcome: Outcome,
        dead: list[DeadLetter],
        started: float,
    ) -> None:
        metrics, stage = self._metrics, self.stage
        now = datetime.now(UTC)
        consumed: Counter[str] = Counter()
        for message in records:
            topic = message.topic() or ""
            consumed[topic] += 1
            tp = (topic, message.partition() or 0)
            self._next_offsets[tp] = max(self._next_offsets.get(tp, 0), (message.offset() or 0) + 1)
        for topic, count in consumed.items():
            metrics.consumed.labels(stage, topic).inc(count)
        # Label lookups cost more than the observation itself: resolve each child once a batch.
        ages: dict[str, list[float]] = {t: [] for t in consumed}
        totals: dict[str, list[float]] = {t: [] for t in consumed}
        for envelope in envelopes:
            ages[envelope.topic].append(max((now - envelope.event.time).total_seconds(), 0.0))
            totals[envelope.topic].append(max((now - envelope.origin).total_seconds(), 0.0))
        for topic in consumed:
            observe_all(metrics.input_age_seconds.labels(stage, topic), ages[topic])
            observe_all(metrics.end_to_end_seconds.labels(stage, topic), totals[topic])
        for topic, count in Counter(emit.topic.name for emit in outcome.emits).items():
            metrics.produced.labels(stage, topic).inc(count)
        for record in dead:
            metrics.dead_lettered.labels(stage, record.original.topic, record.failure.kind).inc()
        for duplicate in duplicates:
            metrics.duplicates.labels(stage, duplicate.topic).inc()
            with log_context(duplicate.key, duplicate.event.trace_id):
                log.info("business duplicate dropped", extra={"offset": duplicate.offset})
        metrics.retries.labels(stage).inc(outcome.retries)
        metrics.batch_seconds.labels(stage).observe(time.perf_counter() - started)
        metrics.batch_size.labels(stage).observe(len(records))
        self.stats.consumed += len(records)
        self.stats.produced += len(outcome.emits)
        self.stats.dead_lettered += len(dead)
        self.stats.duplicates += len(duplicates)
        self.stats.batches += 1

    def _refresh_lag(self) -> None:
        now = time.monotonic()
        if self._consumer is None or now - self._last_lag_refresh < self._settings.lag_refresh_s:
            return
        self._last_lag_refresh = now
        for topic, partition in list(self._assigned):
            _low, high = self._consumer.get_watermark_offsets(
                TopicPartition(topic, partition), cached=True
            )
            if high is None or high < 0:
                continue
            position = self._next_offsets.get((topic, partition))
            if position is None:
                # Nothing committed by this instance yet: the fetch position is the best guess.
                fetched = self._consumer.position([TopicPartition(topic, partition)])[0].offset
                position = fetched if fetched >= 0 else None
            if position is not None:
                lag = max(high - position, 0)
                self._metrics.lag.labels(self.stage, topic, str(partition)).set(lag)


def _message_of(records: list[Message], envelope: Envelope[Any]) -> Message:
    for message in records:
        if (
            message.offset() == envelope.offset
            and message.partition() == envelope.partition
            and message.topic() == envelope.topic
        ):
            return message
    raise LookupError(f"no record at {envelope.coordinates}")


def _names(partitions: list[TopicPartition]) -> list[str]:
    return [f"{tp.topic}[{tp.partition}]" for tp in partitions]


def vars_of(stats: RunStats) -> dict[str, int]:
    return {name: getattr(stats, name) for name in RunStats.__slots__}
