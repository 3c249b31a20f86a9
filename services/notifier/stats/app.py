"""The faust app: decode decisions, keep their contributions per window, publish closed windows.

Two agents and a timer:

- ``decode`` reads the decisions topic (any number of partitions, raw bytes), validates each
  record as a ``LoanDecision``, skips and counts the ones that are not, and forwards what the
  decision adds to its window to the internal single-partition topic ``<app id>-contributions``;
- ``aggregate`` reads that topic and keeps every contribution in the ``windows`` table under a
  key unique per window and decision, so a redelivered decision overwrites itself;
- the ``close-windows`` timer applies the closing rule (``closing.py``) and publishes each
  closed window, only on the worker that owns the single partition (and its table).

One partition is what makes a window's figures the same wherever and whenever they are
computed: every decision of a window meets in one table with one ordered changelog.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import faust
from faust.types import TP
from pydantic import ValidationError

from services.common.contracts.decision import LoanDecision
from services.common.settings import KafkaSettings
from services.notifier.stats.closing import ClosingRule, Progress, due
from services.notifier.stats.records import stats_record
from services.notifier.stats.settings import StatsSettings, broker_credentials, broker_url
from services.notifier.stats.windows import (
    Contribution,
    WindowKey,
    aggregate,
    build_stats,
    by_window,
)

log = logging.getLogger(__name__)

STATE_TABLE: Final = "windows"
PROGRESS_KEY: Final = b"progress"
CONTRIBUTION_PREFIX: Final = b"c|"
_RAW: Final[dict[str, Any]] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass
class Counters:
    """Since this process started; the log lines carry the running totals."""

    counted: int = 0
    invalid: int = 0
    late: int = 0
    published: int = 0
    unpublishable: int = 0


class DecisionStatsApp:
    def __init__(
        self,
        settings: StatsSettings,
        kafka: KafkaSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        kafka = kafka or KafkaSettings()
        self.settings = settings
        self.rule = ClosingRule(settings.grace, timedelta(seconds=settings.idle_close_s))
        self.counters = Counters()
        self._clock = clock
        self._last_decision = clock()
        self._restored = False
        self.app = faust.App(
            settings.app_id,
            broker=broker_url(kafka),
            broker_credentials=broker_credentials(kafka),
            store="memory://",
            datadir=settings.data_directory,
            autodiscover=False,
            topic_partitions=1,
            topic_replication_factor=settings.internal_replication_factor,
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            processing_guarantee="at_least_once",
            producer_acks=-1,
            web_enabled=settings.web_enabled,
            web_bind=settings.web_host,
            web_port=settings.web_port,
        )
        self.decisions = self.app.topic(settings.input_topic, **_RAW)
        self.contributions = self.app.topic(
            settings.windows_topic, internal=True, partitions=1, **_RAW
        )
        self.output = self.app.topic(settings.output_topic, **_RAW)
        # use_partitioner: the timer writes too, outside any event; one partition keeps every
        # write in one changelog order.
        self.state = self.app.Table(
            STATE_TABLE, partitions=1, key_type=bytes, value_type=bytes, use_partitioner=True
        )
        self.app.agent(self.decisions, name="decode")(self._decode)
        self.app.agent(self.contributions, name="aggregate")(self._aggregate)
        self.app.timer(settings.check_interval_s, name="close-windows")(self._close_due)
        # mode types its handlers with mypy_extensions callables no plain function matches.
        self.app.on_rebalance_complete.connect(self._on_rebalanced)  # type: ignore[arg-type]

    async def _decode(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            # Idle means no decision read at all; the aggregate agent sees them a hop later.
            self._last_decision = self._clock()
            message = event.message
            contribution = self._read_decision(
                message.topic, message.partition, message.offset, event.value
            )
            if contribution is not None:
                # force: sent now rather than attached to the next offset commit (which
                # flushes the producer first anyway), so decisions are not held back seconds.
                await self.contributions.send(
                    key=contribution.window.text.encode(),
                    value=contribution.model_dump_json().encode(),
                    force=True,
                )

    def _read_decision(
        self, topic: str, partition: int, offset: int, value: bytes | None
    ) -> Contribution | None:
        try:
            if value is None:
                raise ValueError("record has no value (tombstone)")
            decision = LoanDecision.model_validate_json(value)
        except ValueError as exc:  # pydantic's ValidationError is one
            self.counters.invalid += 1
            # Coordinates and the error class only: the value and key concern an applicant.
            log.warning(
                "decision skipped: not a valid LoanDecision",
                extra={
                    "topic": topic,
                    "partition": partition,
                    "offset": offset,
                    "error_class": type(exc).__name__,
                    "invalid_total": self.counters.invalid,
                },
            )
            return None
        return Contribution.of(decision, self.settings.window)

    async def _aggregate(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            self._last_decision = self._clock()
            message = event.message
            try:
                contribution = Contribution.model_validate_json(event.value or b"")
            except ValidationError as exc:
                self.counters.invalid += 1
                log.warning(
                    "contribution skipped: unreadable",
                    extra={
                        "topic": message.topic,
                        "partition": message.partition,
                        "offset": message.offset,
                        "error_class": type(exc).__name__,
                        "invalid_total": self.counters.invalid,
                    },
                )
                continue
            self._add(contribution)

    def _add(self, contribution: Contribution) -> None:
        progress = self._progress()
        if self.rule.is_late(contribution, progress):
            self.counters.late += 1
            log.warning(
                "late decision not counted: its window is closed",
                extra={
                    "window": contribution.window.text,
                    "decided_at": contribution.decided_at.isoformat(),
                    "watermark": progress.watermark.isoformat() if progress.watermark else None,
                    "late_total": self.counters.late,
                },
            )
        else:
            key = CONTRIBUTION_PREFIX + contribution.state_key.encode()
            self.state[key] = contribution.model_dump_json().encode()
            self.counters.counted += 1
        advanced = progress.seen(contribution.decided_at)
        if advanced != progress:
            self._save(advanced)

    def _progress(self) -> Progress:
        raw = self.state.get(PROGRESS_KEY)
        return Progress.model_validate_json(raw) if raw else Progress()

    def _save(self, progress: Progress) -> None:
        self.state[PROGRESS_KEY] = progress.model_dump_json().encode()

    def _stored(self) -> dict[WindowKey, list[tuple[bytes, Contribution]]]:
        entries = [
            (key, Contribution.model_validate_json(value))
            for key, value in list(self.state.items())
            if value and key.startswith(CONTRIBUTION_PREFIX)
        ]
        keys = {contribution.state_key: key for key, contribution in entries}
        return {
            window: [(keys[c.state_key], c) for c in contributions]
            for window, contributions in by_window(c for _, c in entries).items()
        }

    def _on_rebalanced(self, sender: Any, *args: Any, **kwargs: Any) -> None:
        # faust sends this once the tables are restored; until the first one the table may hold
        # part of a window, which must never be published.
        self._restored = True
        # A worker taking the windows over has not been idle: the clock restarts with it.
        self._last_decision = self._clock()

    def _owns_windows(self) -> bool:
        app = self.app
        if not self._restored or app.rebalancing or app.in_recovery:
            return False
        return TP(self.settings.windows_topic, 0) in app.consumer.assignment()

    async def _close_due(self) -> None:
        if not self._owns_windows():
            return
        try:
            await self._close()
        except Exception:
            # The closing mark is stored before anything is published, so the next tick finds
            # the same windows due and publishes them with the same figures.
            log.exception("closing windows failed; retrying on the next tick")

    async def _close(self) -> None:
        stored = self._stored()
        idle_for = timedelta(seconds=self._clock() - self._last_decision)
        horizon = self.rule.horizon(self._progress(), stored.keys(), idle_for)
        if horizon is None:
            return
        closing = due(stored, horizon)
        # From this write on, a decision for these windows is late: the snapshot above is final.
        self._save(self._progress().closing(horizon))
        # Their decisions and the mark reach the changelog before any window goes out, so a
        # restart never rebuilds a window with fewer decisions than were published.
        await self.app.producer.flush()
        progress = self._progress()
        for window in closing:
            if not progress.already_published(window):
                await self._publish(window, [c for _, c in stored[window]])
        self._save(self._progress().published(horizon))
        for window in closing:
            for key, _ in stored[window]:
                del self.state[key]

    async def _publish(self, window: WindowKey, contributions: list[Contribution]) -> None:
        try:
            stats = build_stats(window, aggregate(contributions))
        except ValidationError as exc:
            self.counters.unpublishable += 1
            log.error(
                "window not published: its figures exceed the DecisionStats contract",
                extra={"window": window.text, "error_class": type(exc).__name__},
            )
            return
        record = stats_record(stats)
        delivery = await self.output.send(
            key=record.key, value=record.value, headers=record.headers, force=True
        )
        await delivery
        self.counters.published += 1
        log.info(
            "window published",
            extra={
                "window": stats.key,
                "decisions": stats.decisions,
                "published_total": self.counters.published,
            },
        )
