"""The fraud stage on a real broker and Redis: a sanctioned applicant is referred with the
match explained, a burst from one device is flagged, and a cleared false positive passes with
an audit record."""

from __future__ import annotations

import base64
import csv
import dataclasses
import os
from pathlib import Path

import pytest

from services.common.contracts import FraudScreened, Topics
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.fraud.allowlist import AllowList
from services.fraud.app import build_handler
from services.fraud.settings import FraudSettings
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.contracts import samples
from tests.unit.fraud.stage_support import SANCTIONED_DOB, SANCTIONED_NAME, case

pytestmark = pytest.mark.integration


def write_sdn_files(directory: Path) -> Path:
    """The support module's list, written in the published SDN layout."""
    lists = directory / "lists"
    lists.mkdir()
    null = "-0- "
    rows = [
        [
            "9001",
            "DROBNEV, Viktor Arkadyevich",
            "individual",
            "SDGT",
            *[null] * 7,
            "DOB 1971; nationality Russia.",
        ],
        ["9002", "HALVORSEN, Ingrid", "individual", "SDGT", *[null] * 7, "DOB 1950."],
    ]
    aliases = [["9001", "1", "aka", "Viktor DROBNEFF", null]]
    for name, content in (("sdn.csv", rows), ("alt.csv", aliases)):
        with (lists / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(content)
    return lists


def test_screens_sanctions_velocity_and_clearances_end_to_end(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    source = dataclasses.replace(Topics.DOCUMENTS_VERIFIED, name=f"{unique_name}.in")
    sink = dataclasses.replace(Topics.FRAUD_SCREENED, name=f"{unique_name}.out")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq")
    make_topics(kafka_bootstrap, source.name, sink.name, dlq.name, partitions=1)

    client = redis_client(RedisSettings(url=redis_url))
    allow_list = AllowList(client, key_prefix=unique_name)
    sanctioned = case(1, name=SANCTIONED_NAME, date_of_birth=SANCTIONED_DOB, age=53)
    # The same listed name, but an analyst cleared it for this other person earlier.
    cleared = case(
        2,
        name=SANCTIONED_NAME,
        date_of_birth=SANCTIONED_DOB,
        age=53,
        ssn="223456789",
        device_id="dev-cleared",
    )
    allow_list.grant(
        ssn_token=cleared.application.identity.ssn_token,
        uid="sdn:9001",
        cleared_by="analyst-7",
        reason="Passport and address show a different person",
    )
    # Five applications from one device within minutes, with different SSNs.
    burst = [
        case(10 + n, ssn=f"3234{n + 1:05d}", device_id="dev-burst", submitted_offset_s=60 * n)
        for n in range(5)
    ]
    inputs = [sanctioned, cleared, *burst]
    produce(
        kafka_bootstrap,
        source.name,
        [(str(event.application_id), event.model_dump_json().encode()) for event in inputs],
    )

    runtime = StageRuntime(
        service="fraud",
        stage=unique_name,
        inputs=[source],
        # The service's own wiring: lists from SDN files, velocity and clearances in Redis.
        handler=build_handler(
            FraudSettings(
                watchlist_dir=write_sdn_files(tmp_path),
                pii_keys=samples.PII_KEYS_B64,
                velocity_key=base64.b64encode(os.urandom(32)).decode(),
                stage_version="test",
            ),
            client,
            RedisSettings(url=redis_url, key_prefix=unique_name),
            output=sink,
        ),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=client,
        settings=RuntimeSettings(instance_id="t0"),
        dead_letters=dlq,
    )
    stats = runtime.run(max_events=len(inputs), timeout=60)
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (len(inputs), len(inputs), 0)

    records = read_committed(kafka_bootstrap, sink.name, expected=len(inputs), timeout_s=30)
    events = {
        event.application_id: event
        for event in (FraudScreened.model_validate_json(value or b"") for _, value, _ in records)
    }
    assert len(events) == len(inputs)

    hit = events[sanctioned.application_id]
    assert hit.fraud.status == "refer" and hit.fraud.watchlist_band == "high"
    assert hit.fraud.watchlist_matches[0].uid == "sdn:9001"
    assert hit.fraud.watchlist_matches[0].parts  # the score explains itself
    assert hit.fraud.reasons[0].code == "WATCHLIST_HIT"
    assert hit.early_outcome is not None and hit.early_outcome.outcome == "refer"

    passed = events[cleared.application_id]
    assert passed.fraud.status == "pass", passed.fraud.reasons
    assert passed.early_outcome is None
    [match] = passed.fraud.watchlist_matches
    assert match.cleared is not None and match.cleared.cleared_by == "analyst-7"
    applied = [r for r in allow_list.audit() if r["action"] == "applied"]
    assert [r["application_id"] for r in applied] == [str(cleared.application_id)]

    # A third SSN on the device within a day is referred (limit 2); a fourth application in an
    # hour also trips the device limit (3), and the two together weigh enough to reject.
    statuses = [events[event.application_id].fraud.status for event in burst]
    assert statuses == ["pass", "pass", "refer", "reject", "reject"]
    codes = [{r.code for r in events[event.application_id].fraud.reasons} for event in burst]
    assert codes[2] == {"MANY_SSNS_ON_DEVICE"}
    assert codes[3] == {"MANY_SSNS_ON_DEVICE", "MANY_SSNS_ON_DEVICE_WEEK", "VELOCITY_DEVICE_1H"}
    assert read_committed(kafka_bootstrap, dlq.name, expected=0, timeout_s=3) == []
