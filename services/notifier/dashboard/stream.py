"""One client's event stream: a snapshot, then decisions as they come, snapshots at most every
``snapshot_interval_s``, and comment keep-alives when idle.

Starlette cancels the generator when the client disconnects (under uvicorn it listens for
``http.disconnect`` while streaming; on ASGI 2.4 servers the next write fails instead, at the
latest with the next keep-alive); ``EventStreamResponse`` then gives the stream's slot back
whether or not the generator ever started.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Final

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from services.notifier.dashboard import sse
from services.notifier.dashboard.hub import DashboardHub, Subscription

RETRY_MS: Final = 3000
SNAPSHOT: Final = "snapshot"
DECISION: Final = "decision"
# The loop wakes at least this often to notice a new minute (the window moved).
_MAX_WAIT_S: Final = 1.0


async def decision_events(
    hub: DashboardHub,
    subscription: Subscription,
    *,
    keepalive_s: float,
    snapshot_interval_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncGenerator[bytes, None]:
    """The bytes of one stream, until the consumer stops iterating."""
    # Taken before the first yield: the hub may change while the client reads the snapshot.
    sent = hub.state_key()
    first = sse.retry(RETRY_MS) + sse.event(hub.snapshot_json(), name=SNAPSHOT, event_id=sent[0])
    last_snapshot = last_write = clock()
    yield first
    while True:
        now = clock()
        due = last_write + keepalive_s
        if subscription.missed or hub.state_key() != sent:
            due = min(due, last_snapshot + snapshot_interval_s)
        if not len(subscription):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    subscription.wake.wait(), timeout=max(0.0, min(_MAX_WAIT_S, due - now))
                )
        subscription.wake.clear()
        chunks = [
            sse.event(payload, name=DECISION, event_id=event_id)
            for event_id, payload in subscription.drain()
        ]
        now = clock()
        changed = subscription.missed or hub.state_key() != sent
        if changed and now - last_snapshot >= snapshot_interval_s:
            sent, last_snapshot, subscription.missed = hub.state_key(), now, False
            chunks.append(sse.event(hub.snapshot_json(), name=SNAPSHOT, event_id=sent[0]))
        if chunks:
            yield b"".join(chunks)
            last_write = now
        elif now - last_write >= keepalive_s:
            yield sse.comment("keep-alive")
            last_write = now


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response that runs ``on_close`` however the stream ends."""

    media_type = sse.MEDIA_TYPE

    def __init__(
        self,
        content: AsyncIterator[bytes],
        *,
        on_close: Callable[[], None],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            content,
            headers={
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
                **(headers or {}),
            },
        )
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._on_close()
