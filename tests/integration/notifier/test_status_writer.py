"""The status projection on a real Redis: two writers racing on one application lose nothing,
and ingest's store serves what they wrote."""

from __future__ import annotations

import asyncio
import threading

import pytest
import redis
import redis.asyncio as aioredis

from services.common.status import StatusStore
from services.notifier.status.projection import update_of
from services.notifier.status.writer import StatusWriter
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration


def test_racing_writers_keep_every_step_and_ingest_reads_the_result(
    redis_client: redis.Redis, redis_url: str, unique_name: str
) -> None:
    application_id = str(samples.APPLICATION_ID)

    def store() -> StatusStore:  # one asyncio client per event loop
        return StatusStore(aioredis.Redis.from_url(redis_url), prefix=unique_name)

    created = asyncio.run(store().create(application_id, "bank-a", samples.RECEIVED_AT, "ingest"))
    assert created
    events = [samples.documents_verified(), samples.fraud_screened(), samples.scored()]
    updates = [u for u in (update_of(e) for e in [*events, samples.decision()]) if u is not None]
    writers = [StatusWriter(redis_client, prefix=unique_name) for _ in range(2)]

    def write(writer: StatusWriter, order: list[int]) -> None:
        for _ in range(20):  # replays included
            writer.apply([updates[i] for i in order])

    threads = [
        threading.Thread(target=write, args=(writers[0], [0, 1, 2, 3])),
        threading.Thread(target=write, args=(writers[1], [3, 2, 1, 0])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    status = asyncio.run(store().get(application_id))
    assert status is not None
    assert status.owner == "bank-a" and status.status == "decided"
    assert [entry.status for entry in status.timeline] == [
        "received",
        "documents_verified",
        "fraud_screened",
        "scored",
        "decided",
    ]
    assert status.decision == samples.decision()
    assert writers[0].apply(updates) == 0  # everything already known
