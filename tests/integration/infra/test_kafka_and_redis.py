"""The shared fixtures give a working Kafka (with transactions) and Redis."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient

from services.common.testing import create_topics

pytestmark = pytest.mark.integration


def _transactional_producer(bootstrap: str) -> Producer:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": f"infra-test-{uuid.uuid4().hex}",
            "enable.idempotence": True,
        }
    )
    producer.init_transactions(30)
    return producer


def _read_committed(bootstrap: str, topic: str, group: str, expect: int) -> list[Message]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[Message] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and len(received) < expect:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                continue
            received.append(message)
        # Give anything that should not be there a moment to show up.
        extra_deadline = time.monotonic() + 2
        while time.monotonic() < extra_deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                received.append(message)
    finally:
        consumer.close()
    return received


def test_create_topics_waits_until_they_exist(kafka_bootstrap: str, unique_name: str) -> None:
    names = [f"{unique_name}.a", f"{unique_name}.b"]
    create_topics(kafka_bootstrap, names, partitions=4)
    create_topics(kafka_bootstrap, names, partitions=4)  # already there: accepted

    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    for name in names:
        assert len(topics[name].partitions) == 4


def test_transactional_round_trip_is_read_committed(kafka_bootstrap: str, unique_name: str) -> None:
    topic = f"{unique_name}.events"
    create_topics(kafka_bootstrap, [topic], partitions=3)
    producer = _transactional_producer(kafka_bootstrap)

    producer.begin_transaction()
    producer.produce(topic, key=b"app-1", value=b"aborted")
    producer.flush(10)
    producer.abort_transaction(30)

    producer.begin_transaction()
    producer.produce(topic, key=b"app-1", value=b"committed")
    producer.commit_transaction(30)

    received = _read_committed(kafka_bootstrap, topic, f"{unique_name}.group", expect=1)

    assert [(m.key(), m.value()) for m in received] == [(b"app-1", b"committed")]


def test_redis_answers(redis_client: redis.Redis, redis_url: str, unique_name: str) -> None:
    assert redis_client.ping() is True
    key = f"{unique_name}:greeting"
    assert redis_client.get(key) is None
    redis_client.set(key, "hello", ex=60)
    assert redis_client.get(key) == b"hello"
    # The URL the fixture hands out reaches the same database.
    other = redis.Redis.from_url(redis_url)
    try:
        assert other.get(key) == b"hello"
    finally:
        other.close()


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_with_an_empty_database(redis_client: redis.Redis, round_: int) -> None:
    assert redis_client.dbsize() == 0
    redis_client.set("left-behind", round_)
