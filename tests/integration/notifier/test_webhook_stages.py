"""The webhook stages on a real broker and Redis, delivering to a real local receiver.

* A decision reaches the receiver once, with a valid signature, even when the stage is
  SIGKILLed after its HTTP calls and before its commit, and restarted.
* A failing receiver is retried from the retry topic, then dead-lettered; a private address,
  given directly or behind a host name, is refused and dead-lettered without being contacted.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.common.contracts import DeadLetter, LoanDecision, Topics
from services.common.contracts.notifications import WebhookRetry
from services.common.runtime import RuntimeSettings
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.notifier.webhooks.app import (
    DELIVERY_STAGE,
    WebhookTopics,
    build_parts,
    delivery_runtime,
    retry_runtime,
)
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.signing import EVENT_ID_HEADER, WebhookReceiver
from services.notifier.webhooks.ssrf import system_resolver
from tests.integration.notifier.receiver import LocalReceiver
from tests.integration.runtime.support import (
    StageProcess,
    make_topics,
    produce,
    read_committed,
    stage_env,
    wait_for,
)
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration

KEY = "stage-integration-key-" + "w" * 30


def declined(application_id: uuid.UUID) -> LoanDecision:
    payload = samples.decision_payload()
    payload.update(
        application_id=str(application_id),
        outcome="declined",
        offers=[],
        reasons=[{"code": "DTI_TOO_HIGH", "text": "Your debts are high for your income."}],
    )
    return LoanDecision.model_validate(payload)


def topics_for(bootstrap: str, prefix: str) -> WebhookTopics:
    topics = WebhookTopics.prefixed(prefix)
    names = [spec.name for spec in (*topics.inputs, topics.retries, topics.dead_letters)]
    make_topics(bootstrap, *names, partitions=2)
    return topics


def decisions_topic(topics: WebhookTopics) -> str:
    (name,) = [spec.name for spec in topics.inputs if spec.name.endswith(Topics.DECISIONS.name)]
    return name


def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in (0, 1)], timeout=10)
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def test_a_decision_arrives_once_signed_even_when_killed_between_call_and_commit(
    kafka_bootstrap: str,
    redis_url: str,
    unique_name: str,
    receiver: LocalReceiver,
    tmp_path: Path,
) -> None:
    topics = topics_for(kafka_bootstrap, unique_name)
    decisions = [declined(uuid.uuid4()) for _ in range(12)]
    produce(
        kafka_bootstrap,
        decisions_topic(topics),
        ((str(d.application_id), d.model_dump_json().encode()) for d in decisions),
    )
    subscriptions = [
        {
            "id": "upstream",
            "client_id": None,
            "url": f"http://127.0.0.1:{receiver.port}/hooks/decisions",
            "events": ["decision"],
            "secret_id": "k1",
        }
    ]
    env = {
        **stage_env(kafka_bootstrap, redis_url, "webhooks-1"),
        "PRESCREEN_REDIS_KEY_PREFIX": unique_name,
        "PRESCREEN_NOTIFIER_WEBHOOK_SUBSCRIPTIONS": orjson.dumps(subscriptions).decode(),
        "PRESCREEN_NOTIFIER_WEBHOOK_SECRETS": orjson.dumps({"k1": KEY}).decode(),
        "PRESCREEN_NOTIFIER_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    }
    module = "tests.integration.notifier.webhook_process"
    hold = tmp_path / "held"
    group = f"prescreen.{unique_name}.{DELIVERY_STAGE}"
    first = StageProcess(["-m", module, unique_name, str(hold)], env, tmp_path / "first.log")
    first.start()
    try:
        wait_for(hold.exists, 90, "the stage to deliver a batch and hold before its commit")
        delivered_before_kill = len(receiver.seen)
        first.kill()
    finally:
        first.stop_quietly()
    assert delivered_before_kill >= 1
    assert committed_offsets(kafka_bootstrap, group, decisions_topic(topics)) == 0

    second = StageProcess(["-m", module, unique_name], env, tmp_path / "second.log")
    second.start()
    try:
        wait_for(
            lambda: (
                committed_offsets(kafka_bootstrap, group, decisions_topic(topics)) == len(decisions)
            ),
            90,
            "the restarted stage to commit every decision",
        )
        assert second.terminate() == 0
    finally:
        second.stop_quietly()

    verifier = WebhookReceiver([SecretStr(KEY)])
    event_ids = []
    for seen in receiver.seen:
        checked = verifier.receive(seen.headers, seen.body)
        assert not checked.duplicate, "the same event reached the receiver twice"
        body = orjson.loads(seen.body)
        assert body["id"] == seen.headers[EVENT_ID_HEADER]
        assert body["kind"] == "decision"
        event_ids.append(body["data"]["application_id"])
    assert sorted(event_ids) == sorted(str(d.application_id) for d in decisions)


def dead_letters(bootstrap: str, topic: str, expected: int) -> list[tuple[DeadLetter, Any]]:
    records = read_committed(bootstrap, topic, expected=expected, timeout_s=60)
    letters = []
    for _key, value, _headers in records:
        assert value is not None
        letter = DeadLetter.model_validate_json(value)
        owed = WebhookRetry.model_validate_json(base64.b64decode(letter.payload_b64))
        letters.append((letter, owed))
    return letters


def test_a_failing_receiver_is_retried_then_dead_lettered_and_a_private_host_refused(
    kafka_bootstrap: str, redis_url: str, unique_name: str, receiver: LocalReceiver
) -> None:
    topics = topics_for(kafka_bootstrap, unique_name)
    base = f"http://127.0.0.1:{receiver.port}"
    receiver.plan["/flaky"] = [(503, {})] * 10
    subscriptions: list[dict[str, Any]] = [
        {"id": "ok", "client_id": None, "url": f"{base}/ok", "events": ["decision"]},
        {"id": "flaky", "client_id": None, "url": f"{base}/flaky", "events": ["rejection"]},
        {
            "id": "internal",
            "client_id": None,
            "url": "https://hooks.internal.bank.test/decisions",
            "events": ["decision"],
        },
        {"id": "lan", "client_id": None, "url": "https://192.168.10.7/in", "events": ["decision"]},
    ]
    settings = WebhookSettings(
        subscriptions=[{**s, "secret_id": "k1"} for s in subscriptions],
        secrets={"k1": SecretStr(KEY)},
        allow_hosts=("127.0.0.1",),
        max_attempts=3,
        backoff_base_s=0.05,
        backoff_cap_s=0.2,
    )
    dns = {"hooks.internal.bank.test": ["10.20.30.40"]}  # a name that points inside the bank

    def resolver(host: str, port: int) -> list[str]:
        return dns.get(host) or system_resolver(host, port)

    redis_settings = RedisSettings(url=redis_url, key_prefix=unique_name)
    client = redis_client(redis_settings)
    parts = build_parts(settings, client, redis_settings, resolver=resolver)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap)
    runtime = RuntimeSettings(instance_id="w0")
    decision = declined(uuid.uuid4())
    produce(
        kafka_bootstrap,
        decisions_topic(topics),
        [(str(decision.application_id), decision.model_dump_json().encode())],
    )
    try:
        deliveries = delivery_runtime(
            parts, client, redis_settings, topics=topics, kafka=kafka, runtime=runtime
        )
        # flaky, internal and lan failed: each owes a retry.
        assert deliveries.run(max_events=1, timeout=60).produced == 3
        retries = retry_runtime(
            parts,
            client,
            redis_settings,
            topics=topics,
            kafka=kafka,
            runtime=runtime,
            metrics_registry=CollectorRegistry(),  # both stages in one process here
        )
        # internal, lan: refused again, dead-lettered; flaky: attempts 2 and 3 fail.
        stats = retries.run(max_events=4, timeout=60)
    finally:
        parts.close()
    assert (stats.consumed, stats.dead_lettered) == (4, 3)
    assert receiver.paths().count("/ok") == 1
    assert receiver.paths().count("/flaky") == 3
    letters = {
        owed.subscription_id: (letter, owed)
        for letter, owed in dead_letters(kafka_bootstrap, topics.dead_letters.name, expected=2)
    }
    flaky_letter, flaky = letters["flaky"]
    assert "gave up after 3 attempts" in flaky_letter.failure.message
    assert (flaky.attempts, flaky.kind, flaky.last_status) == (2, "rejection", 503)
    assert orjson.loads(flaky.body)["data"]["application_id"] == str(decision.application_id)
    for refused in ("internal", "lan"):
        letter, owed = letters[refused]
        assert "destination refused" in letter.failure.message
        assert owed.last_outcome == "blocked"
