"""The scoring stage on a real broker and Redis: one Scored event per input, exactly once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from uuid import UUID

import pytest

from services.common.contracts import Scored, Topics
from services.common.idempotency import Once
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.scoring.handler import NO_CONSENT, ScoringHandler
from services.scoring.policy import CreditPolicy
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.scoring.test_handler import FakeBureau, FakeInternalData, case, tiny_model

pytestmark = pytest.mark.integration

APPROVED = UUID(int=101)
KNOCKED_OUT = UUID(int=102)
NO_CONSENT_GIVEN = UUID(int=103)


def test_scores_each_application_once_end_to_end(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    # Private topic names; the writer stays "scoring", so the ownership check still applies.
    source = dataclasses.replace(Topics.FRAUD_SCREENED, name=f"{unique_name}.in")
    sink = dataclasses.replace(Topics.SCORED, name=f"{unique_name}.out")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq")
    make_topics(kafka_bootstrap, source.name, sink.name, dlq.name, partitions=1)
    inputs = [
        case(application_id=APPROVED),
        case(application_id=KNOCKED_OUT, debt_to_income=45.0),
        case(application_id=NO_CONSENT_GIVEN, granted=False),
    ]
    produce(
        kafka_bootstrap,
        source.name,
        [(str(event.application_id), event.model_dump_json().encode()) for event in inputs],
    )

    client = redis_client(RedisSettings(url=redis_url))
    bureau = FakeBureau(800)
    policy = CreditPolicy()
    challenger = dataclasses.replace(tiny_model(tmp_path / "challenger"), version="shadow1")
    runtime = StageRuntime(
        service="scoring",
        stage=unique_name,  # own consumer group, transactional id and Redis namespace
        inputs=[source],
        handler=ScoringHandler(
            bureau=bureau,
            internal_data=FakeInternalData(),
            once=Once(client, prefix=unique_name),
            model=tiny_model(tmp_path / "champion"),
            challenger=challenger,
            policy=policy,
            stage_version="test",
            output=sink,
        ),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=client,
        settings=RuntimeSettings(instance_id="t0"),
        dead_letters=dlq,
    )
    stats = runtime.run(max_events=len(inputs), timeout=60)
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (3, 3, 0)
    assert len(bureau.calls) == 2  # no pull without consent

    records = read_committed(kafka_bootstrap, sink.name, expected=3, timeout_s=30)
    assert len(records) == 3
    statuses = {}
    for key, value, headers in records:
        event = Scored.model_validate_json(value or b"")
        assert key == str(event.application_id).encode()
        assert headers["ce_type"] == Topics.SCORED.ce_type.encode()
        assert headers["ce_subject"] == key
        assert headers["ce_source"] == f"/loan-prescreen/{unique_name}".encode()
        assert {"ce_id", "ce_time", "ce_specversion", "traceparent"} <= set(headers)
        assert event.scoring.stage_version == f"test+policy.{policy.version}"
        statuses[event.application_id] = event
    assert {app: e.scoring.status for app, e in statuses.items()} == {
        APPROVED: "pass",
        KNOCKED_OUT: "reject",
        NO_CONSENT_GIVEN: "refer",
    }
    assert statuses[KNOCKED_OUT].scoring.reasons[0].code == "KO_DTI_ABOVE_CAP"
    assert statuses[NO_CONSENT_GIVEN].scoring.reasons == (NO_CONSENT,)
    assert statuses[APPROVED].early_outcome is None
    for scored_id in (APPROVED, KNOCKED_OUT):
        shadow = statuses[scored_id].scoring.challenger
        assert shadow is not None and shadow.model_version == "shadow1"
    assert statuses[NO_CONSENT_GIVEN].scoring.challenger is None  # nothing was scored
    assert read_committed(kafka_bootstrap, dlq.name, expected=0, timeout_s=3) == []
