"""The dashboard on a real broker: it refuses anonymous callers, shows the recent past after a
(re)start, skips bad records, and streams decisions produced while a client listens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from tests.integration.notifier.dashboard_live import (
    API_KEY,
    produce_decisions,
    running_dashboard,
)
from tests.integration.runtime.support import make_topics
from tests.unit.notifier.dashboard.support import DECLINE_REASONS, SseParser, decision

pytestmark = pytest.mark.integration

Event = tuple[str, str, str | None]
READ_TIMEOUT = httpx.Timeout(30.0)


def read_until(
    chunks: Iterator[str],
    parser: SseParser,
    seen: list[Event],
    done: Callable[[list[Event]], bool],
    timeout_s: float = 90.0,
) -> None:
    """Read the stream into ``seen`` until ``done(seen)``; keep-alives arrive every second,
    so the deadline is checked even when no decision comes."""
    deadline = time.monotonic() + timeout_s
    while not done(seen):
        assert time.monotonic() < deadline, f"stream did not deliver in time; got {seen!r}"
        seen.extend(parser.feed(next(chunks)))


def snapshots(seen: list[Event]) -> list[dict[str, object]]:
    return [json.loads(data) for name, data, _ in seen if name == "snapshot"]


def test_stream_shows_the_recent_past_then_live_decisions(
    kafka_bootstrap: str, unique_name: str
) -> None:
    topic = f"{unique_name}.decisions"
    make_topics(kafka_bootstrap, topic, partitions=2)
    now = datetime.now(UTC)
    # Before the dashboard starts: two recent decisions, one decided long ago, two bad records.
    produce_decisions(
        kafka_bootstrap,
        topic,
        [
            decision(1, decided_at=now - timedelta(minutes=2), probability=0.12),
            decision(2, decided_at=now - timedelta(minutes=1), outcome="referred"),
            decision(3, decided_at=now - timedelta(hours=2)),
        ],
        garbage=2,
    )
    with running_dashboard(kafka_bootstrap, topic, max_streams=1) as dashboard:
        stream_url = f"{dashboard.url}/v1/decisions/stream"
        anonymous = httpx.get(stream_url, timeout=30)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"].startswith("Bearer")

        seen: list[Event] = []
        parser = SseParser()
        with (
            httpx.Client(timeout=READ_TIMEOUT) as client,
            client.stream("GET", stream_url, headers={"X-API-Key": API_KEY}) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            chunks = response.iter_text()

            # The reader starts a window back: the past shows up, bad records are skipped.
            def caught_up(events: list[Event]) -> bool:
                found = snapshots(events)
                if not found:
                    return False
                feed = found[-1]["feed"]
                return (
                    found[-1]["decisions"] == 2
                    and found[-1]["ignored_outside_window"] == 1
                    and isinstance(feed, dict)
                    and feed["skipped_undecodable"] == 2
                )

            read_until(chunks, parser, seen, caught_up)
            first = snapshots(seen)[-1]
            latest = first["latest"]
            assert isinstance(latest, list)
            assert [row["application_id"] for row in latest] == [str(UUID(int=n)) for n in (2, 1)]

            live_at = datetime.now(UTC)
            live = [
                decision(11, decided_at=live_at, elapsed_s=4, timings={"scoring": 35.0}),
                decision(12, decided_at=live_at, outcome="counter_offered", product="Home"),
                decision(13, decided_at=live_at, outcome="declined", reasons=DECLINE_REASONS),
            ]
            produce_decisions(kafka_bootstrap, topic, live)
            wanted = {str(d.application_id) for d in live}

            def all_live(events: list[Event]) -> bool:
                rows = [json.loads(data) for name, data, _ in events if name == "decision"]
                found = snapshots(events)
                return wanted <= {row["application_id"] for row in rows} and bool(
                    found and found[-1]["decisions"] == 5
                )

            read_until(chunks, parser, seen, all_live)

        rows = {
            row["application_id"]: row
            for row in (json.loads(data) for name, data, _ in seen if name == "decision")
        }
        declined = rows[str(UUID(int=13))]
        assert declined["outcome"] == "declined" and declined["first_offer"] is None
        assert declined["reason_codes"] == [r["code"] for r in DECLINE_REASONS]
        assert rows[str(UUID(int=11))]["first_offer"]["interest_rate"] == 13.63
        assert all("customer_id" not in row and "narrative" not in row for row in rows.values())

        last = snapshots(seen)[-1]
        approval = last["approval"]
        assert isinstance(approval, dict)
        # approved 1 + 11, counter-offered 12, of 5 (referred 2 and declined 13 count too)
        assert approval["rate"] == pytest.approx(3 / 5)
        reasons = last["decline_reasons"]
        assert isinstance(reasons, list) and reasons[0]["code"] == "DTI_TOO_HIGH"

        # The only stream slot comes back once the client has gone.
        deadline = time.monotonic() + 60
        while True:
            with (
                httpx.Client(timeout=READ_TIMEOUT) as client,
                client.stream("GET", stream_url, headers={"X-API-Key": API_KEY}) as again,
            ):
                if again.status_code == 200:
                    break
                assert again.status_code == 503
            assert time.monotonic() < deadline, "the closed stream's slot never came back"
            time.sleep(0.5)
