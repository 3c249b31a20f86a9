"""The status projection on a real broker and Redis: events from four topics, in any order,
leave each application's status at its decision, with its timeline."""

from __future__ import annotations

import dataclasses
from uuid import UUID

import pytest

from services.common.contracts import Topics
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.notifier.status.handler import StatusHandler
from services.notifier.status.writer import StatusWriter
from tests.integration.runtime.support import make_topics, produce
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration


def test_statuses_follow_the_stages_to_the_decision(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    specs = [
        dataclasses.replace(spec, name=f"{unique_name}.{spec.name}")
        for spec in (
            Topics.DOCUMENTS_VERIFIED,
            Topics.FRAUD_SCREENED,
            Topics.SCORED,
            Topics.DECISIONS,
        )
    ]
    make_topics(kafka_bootstrap, *(spec.name for spec in specs), partitions=2)
    ids = [UUID(int=n) for n in (21, 22)]
    events = [
        samples.documents_verified(),
        samples.fraud_screened(),
        samples.scored(),
        samples.decision(),
    ]
    # The decision goes out first: topics are read independently, so order is not guaranteed.
    for spec, event in reversed(list(zip(specs, events, strict=True))):
        produce(
            kafka_bootstrap,
            spec.name,
            [
                (str(i), event.model_copy(update={"application_id": i}).model_dump_json().encode())
                for i in ids
            ],
        )
    client = redis_client(RedisSettings(url=redis_url))
    writer = StatusWriter(client, prefix=unique_name)
    runtime = StageRuntime(
        service="notifier",
        stage=unique_name,
        inputs=specs,
        handler=StatusHandler(writer),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=client,
        settings=RuntimeSettings(instance_id="t0"),
        dead_letters=dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq"),
    )
    stats = runtime.run(max_events=8, timeout=60)
    assert stats.consumed == 8 and stats.dead_lettered == 0
    for application_id in ids:
        status = writer.get(str(application_id))
        assert status is not None and status.status == "decided"
        assert [entry.status for entry in status.timeline] == [
            "documents_verified",
            "fraud_screened",
            "scored",
            "decided",
        ]
        assert status.decision is not None and status.decision.application_id == application_id
