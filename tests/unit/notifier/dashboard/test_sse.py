"""Server-sent events: the framing, and one stream's sequence of snapshots, decisions and
keep-alives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from starlette.types import Message

from services.notifier.dashboard import sse
from services.notifier.dashboard.hub import DashboardHub
from services.notifier.dashboard.stream import EventStreamResponse, decision_events
from services.notifier.dashboard.window import DecisionWindow
from tests.unit.notifier.dashboard.support import SseParser, decision

NOW = datetime(2026, 3, 2, 14, 5, 30, tzinfo=UTC)


def test_event_framing() -> None:
    assert sse.event('{"a":1}', name="snapshot", event_id=7) == (
        b'event: snapshot\nid: 7\ndata: {"a":1}\n\n'
    )
    # Every kind of line break starts a new data line; the client joins them with "\n".
    assert sse.event("one\ntwo\r\nthree\rfour") == (
        b"data: one\ndata: two\ndata: three\ndata: four\n\n"
    )
    assert sse.event("") == b"data: \n\n"
    parser = SseParser()
    assert parser.feed(sse.event("a\r\nb", name="x").decode()) == [("x", "a\nb", None)]


def test_names_ids_and_comments_cannot_inject_fields() -> None:
    with pytest.raises(ValueError):
        sse.event("x", name="snapshot\ndata: forged")
    with pytest.raises(ValueError):
        sse.event("x", event_id="1\nevent: forged")
    with pytest.raises(ValueError):
        sse.event("x", event_id="a\0b")
    assert sse.comment("keep\nalive") == b": keep alive\n\n"
    assert sse.comment() == b":\n\n"
    assert sse.retry(2500) == b"retry: 2500\n\n"
    with pytest.raises(ValueError):
        sse.retry(-1)


def make_hub(queue_size: int = 256) -> DashboardHub:
    return DashboardHub(
        DecisionWindow(window_minutes=15, latest_count=5),
        max_streams=2,
        queue_size=queue_size,
        clock=lambda: NOW,
    )


async def next_events(
    stream: AsyncIterator[bytes], parser: SseParser
) -> list[tuple[str, str, str | None]]:
    chunk = await asyncio.wait_for(anext(stream), timeout=10)
    return parser.feed(chunk.decode())


def test_a_stream_starts_with_a_snapshot_then_sends_decisions_and_snapshots() -> None:
    async def scenario() -> None:
        hub = make_hub()
        hub.ingest([decision(1, decided_at=NOW)])
        subscription = hub.subscribe()
        assert subscription is not None
        stream = decision_events(hub, subscription, keepalive_s=30, snapshot_interval_s=0.1)
        parser = SseParser()

        first = await next_events(stream, parser)
        assert parser.retry_ms is not None and parser.retry_ms > 0
        assert [name for name, _, _ in first] == ["snapshot"]
        assert json.loads(first[0][1])["decisions"] == 1
        assert first[0][2] == str(hub.version)

        hub.ingest([decision(2, decided_at=NOW, outcome="declined")])
        events = await next_events(stream, parser)
        if len(events) == 1:  # the snapshot may come in the next chunk
            events += await next_events(stream, parser)
        names = [name for name, _, _ in events]
        assert names == ["decision", "snapshot"]
        row = json.loads(events[0][1])
        assert row["outcome"] == "declined" and row["reason_codes"] == ["DTI_TOO_HIGH"]
        assert "customer_id" not in row
        assert json.loads(events[1][1])["decisions"] == 2
        await stream.aclose()

    asyncio.run(scenario())


def test_an_idle_stream_gets_keep_alive_comments() -> None:
    async def scenario() -> None:
        hub = make_hub()
        subscription = hub.subscribe()
        assert subscription is not None
        stream = decision_events(hub, subscription, keepalive_s=0.2, snapshot_interval_s=0.1)
        parser = SseParser()
        await next_events(stream, parser)
        assert await next_events(stream, parser) == [(":", "keep-alive", None)]
        await stream.aclose()

    asyncio.run(scenario())


def test_a_slow_stream_gets_a_snapshot_instead_of_every_decision() -> None:
    async def scenario() -> None:
        hub = make_hub(queue_size=1)
        subscription = hub.subscribe()
        assert subscription is not None
        stream = decision_events(hub, subscription, keepalive_s=30, snapshot_interval_s=0.1)
        parser = SseParser()
        await next_events(stream, parser)
        hub.ingest([decision(n, decided_at=NOW) for n in range(1, 4)])
        events = await next_events(stream, parser)
        while events[-1][0] != "snapshot":
            events += await next_events(stream, parser)
        assert [name for name, _, _ in events] == ["decision", "snapshot"]
        assert len(json.loads(events[-1][1])["latest"]) == 3
        await stream.aclose()

    asyncio.run(scenario())


def test_streams_are_capped_and_give_their_slot_back_when_the_client_leaves() -> None:
    async def scenario() -> None:
        hub = make_hub()
        first, second = hub.subscribe(), hub.subscribe()
        assert first is not None and second is not None
        assert hub.subscribe() is None
        assert hub.streams == 2
        response = EventStreamResponse(
            decision_events(hub, first, keepalive_s=30, snapshot_interval_s=0.1),
            on_close=lambda: hub.unsubscribe(first),
        )
        sent: list[Message] = []
        disconnect = asyncio.Event()

        async def receive() -> Message:
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "http.response.body":
                disconnect.set()

        scope = {"type": "http", "asgi": {"spec_version": "2.3"}, "method": "GET"}
        await asyncio.wait_for(response(scope, receive, send), timeout=10)
        assert sent[0]["type"] == "http.response.start"
        headers = dict(sent[0]["headers"])
        assert headers[b"content-type"].startswith(b"text/event-stream")
        assert headers[b"cache-control"] == b"no-store"
        assert hub.streams == 1 and hub.subscribe() is not None

    asyncio.run(scenario())
