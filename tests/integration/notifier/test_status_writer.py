"""The status projection on a real Redis: two writers racing on one application lose nothing,
and ingest's store serves what they wrote."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
import redis
import redis.asyncio as aioredis

from services.common.status import StatusStore
from services.notifier.status.projection import StatusUpdate, update_of
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


def _updates_for(application_id: str) -> list[StatusUpdate]:
    events = [
        samples.documents_verified(),
        samples.fraud_screened(),
        samples.scored(),
        samples.decision(),
    ]
    moved = [e.model_copy(update={"application_id": UUID(application_id)}) for e in events]
    return [u for u in (update_of(e) for e in moved) if u is not None]


def test_racing_batches_over_many_applications_lose_no_step(
    redis_client: redis.Redis, unique_name: str
) -> None:
    ids = [str(UUID(int=n)) for n in range(1, 41)]
    per_app = {application_id: _updates_for(application_id) for application_id in ids}
    writers = [StatusWriter(redis_client, prefix=unique_name) for _ in range(2)]

    def write(writer: StatusWriter, steps: list[int]) -> None:
        for _ in range(5):  # replays included
            for step in steps:  # one batch per topic, every application in it
                writer.apply([per_app[application_id][step] for application_id in ids])

    threads = [
        threading.Thread(target=write, args=(writers[0], [0, 1, 2, 3])),
        threading.Thread(target=write, args=(writers[1], [3, 1, 2, 0])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for application_id in ids:
        status = writers[0].get(application_id)
        assert status is not None and status.status == "decided"
        assert [entry.status for entry in status.timeline] == [
            "documents_verified",
            "fraud_screened",
            "scored",
            "decided",
        ]
    assert writers[0].apply([u for updates in per_app.values() for u in updates]) == 0


class _InterleavingClient:
    """Lets another writer change one application between a batch's read and its write."""

    def __init__(self, client: redis.Redis, interleave: Callable[[], object]) -> None:
        self._client = client
        self._interleave: Callable[[], object] | None = interleave
        self.reads: list[int] = []

    def mget(self, keys: list[str]) -> list[bytes | None]:
        values = self._client.mget(keys)
        self.reads.append(len(keys))
        if self._interleave is not None:
            interleave, self._interleave = self._interleave, None
            interleave()
        return values  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_lost_race_re_merges_only_the_application_that_changed(
    redis_client: redis.Redis, unique_name: str
) -> None:
    first, second = (str(UUID(int=n)) for n in (101, 102))
    other = StatusWriter(redis_client, prefix=unique_name)
    racing = _InterleavingClient(
        redis_client,
        lambda: other.apply([_updates_for(first)[2]]),  # scored, meanwhile
    )
    writer = StatusWriter(racing, prefix=unique_name)  # type: ignore[arg-type]

    changed = writer.apply([_updates_for(first)[0], _updates_for(second)[0]])

    assert changed == 2
    assert racing.reads == [2, 1]  # the second round reads only the application that lost
    status = writer.get(first)
    assert status is not None and status.status == "scored" and status.version == 2
    assert [entry.status for entry in status.timeline] == ["documents_verified", "scored"]
    status = writer.get(second)
    assert status is not None and [e.status for e in status.timeline] == ["documents_verified"]


def test_a_batch_folds_several_updates_of_one_application_in_one_write(
    redis_client: redis.Redis, unique_name: str
) -> None:
    application_id = str(UUID(int=7))
    writer = StatusWriter(redis_client, prefix=unique_name)
    updates = _updates_for(application_id)
    assert writer.apply([*reversed(updates), *updates]) == 4
    status = writer.get(application_id)
    assert status is not None and status.status == "decided" and status.version == 4
    assert len(status.timeline) == 4
