"""The Kafka reader: decisions of the last window, then live ones, on a background thread.

It joins no consumer group and commits nothing: it assigns every partition itself and starts
each at ``offsets_for_times(now - window)``, so a restarted dashboard shows the recent past
again instead of starting empty. ``read_committed`` hides decisions of aborted transactions.
A record that does not decode or validate is counted and skipped; it never stops the reader.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final

from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition

from services.common.contracts.decision import LoanDecision
from services.common.contracts.registry import Topics
from services.common.runtime.codec import Undecodable, decode
from services.common.settings import KafkaSettings
from services.notifier.dashboard.models import FeedStats

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[LoanDecision]], None]

BATCH_SIZE: Final = 500
METADATA_REFRESH_S: Final = 30.0
RETRY_S: Final = 2.0
KAFKA_TIMEOUT_S: Final = 10.0


class DecisionFeed:
    """Reads ``topic`` from ``window_s`` ago and hands each poll's decisions to a sink."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        topic: str,
        window_s: float,
        poll_timeout_s: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kafka = kafka
        self._spec = dataclasses.replace(Topics.DECISIONS, name=topic)
        self._window_s = window_s
        self._poll_timeout_s = poll_timeout_s
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._assigned: set[int] = set()
        self._failed = False
        self._records = self._decisions = self._undecodable = self._invalid = 0

    @property
    def topic(self) -> str:
        return self._spec.name

    def start(self, sink: Sink) -> None:
        if self._thread is not None:
            raise RuntimeError("the feed runs already")
        self._thread = threading.Thread(
            target=self._run, args=(sink,), name="dashboard-feed", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def alive(self) -> tuple[bool, str]:
        """Liveness: the reader thread runs (or was never started)."""
        if self._failed or (self._thread is not None and not self._thread.is_alive()):
            return False, "decision reader stopped"
        return True, "decision reader running"

    def ready(self) -> tuple[bool, str]:
        """Readiness: the reader runs and reads the topic's partitions."""
        running, detail = self.alive()
        if not running or self._thread is None:
            return False, detail if self._thread is not None else "decision reader not started"
        if not self._assigned:
            return False, f"waiting for the partitions of {self.topic}"
        return True, f"reading {len(self._assigned)} partition(s) of {self.topic}"

    def stats(self) -> FeedStats:
        return FeedStats(
            records=self._records,
            decisions=self._decisions,
            skipped_undecodable=self._undecodable,
            skipped_invalid=self._invalid,
            assigned_partitions=len(self._assigned),
        )

    def _config(self) -> dict[str, Any]:
        return {
            **self._kafka.client_config(),
            # librdkafka wants a group id even though this consumer never joins or commits.
            "group.id": f"prescreen-notifier-dashboard-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "isolation.level": "read_committed",
            "auto.offset.reset": "latest",
            "client.id": "prescreen-notifier-dashboard",
        }

    def _run(self, sink: Sink) -> None:
        consumer = Consumer(self._config())
        next_refresh = 0.0
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_refresh:
                    done = self._assign_new(consumer)
                    next_refresh = time.monotonic() + (METADATA_REFRESH_S if done else RETRY_S)
                if not self._assigned:
                    self._stop.wait(min(RETRY_S, max(0.0, next_refresh - time.monotonic())))
                    continue
                decisions = self._decode(consumer.consume(BATCH_SIZE, self._poll_timeout_s))
                if decisions:
                    sink(decisions)
        except Exception:
            self._failed = True
            log.exception("the decision reader stopped")
        finally:
            consumer.close()

    def _assign_new(self, consumer: Consumer) -> bool:
        """Assign partitions not read yet; False when the topic could not be described."""
        try:
            metadata = consumer.list_topics(self.topic, timeout=KAFKA_TIMEOUT_S)
            topic = metadata.topics.get(self.topic)
            if topic is None or topic.error is not None or not topic.partitions:
                log.warning("topic %s is not available yet", self.topic)
                return False
            new = sorted(set(topic.partitions) - self._assigned)
            if not new:
                return True
            since_ms = int((self._clock() - self._window_s) * 1000)
            starts = consumer.offsets_for_times(
                [TopicPartition(self.topic, p, since_ms) for p in new], timeout=KAFKA_TIMEOUT_S
            )
        except KafkaException as exc:
            log.warning("describing %s failed: %s", self.topic, exc)
            return False
        positions = []
        for start in starts:
            if start.error is not None:
                log.warning("no start offset for %s[%d]", self.topic, start.partition)
                return False
            # -1: nothing was written since then; read from the end.
            offset = start.offset if start.offset >= 0 else OFFSET_END
            positions.append(TopicPartition(self.topic, start.partition, offset))
        consumer.incremental_assign(positions)
        self._assigned.update(p.partition for p in positions)
        log.info("reading %d partition(s) of %s", len(positions), self.topic)
        return True

    def _decode(self, messages: list[Any]) -> list[LoanDecision]:
        decisions: list[LoanDecision] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("reading %s: %s", self.topic, error)
                continue
            self._records += 1
            result = decode(message, self._spec)
            if isinstance(result, Undecodable):
                self._skipped(result)
                continue
            decisions.append(result.value)
            self._decisions += 1
        return decisions

    def _skipped(self, failed: Undecodable) -> None:
        if failed.kind == "undecodable":
            self._undecodable += 1
        else:
            self._invalid += 1
        skipped = self._undecodable + self._invalid
        # Logged sparsely: a topic full of bad records must not flood the logs.
        if skipped <= 10 or skipped & (skipped - 1) == 0:
            log.warning(
                "skipped %s record at %s:%s:%s (%s; %d skipped so far)",
                failed.kind,
                failed.message.topic(),
                failed.message.partition(),
                failed.message.offset(),
                type(failed.error).__name__,
                skipped,
            )
