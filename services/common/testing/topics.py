"""Creating Kafka topics from tests."""

from __future__ import annotations

import time
from collections.abc import Mapping

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic


def create_topics(
    bootstrap: str,
    names: list[str],
    partitions: int = 3,
    *,
    config: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> None:
    """Create ``names`` (replication factor 1) and wait until every partition has a leader.

    Topics that already exist are accepted as they are. Raises ``TimeoutError`` if the
    topics are not all visible within ``timeout`` seconds, ``KafkaException`` on other errors.
    """
    if not names:
        return
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new_topics = [
        NewTopic(name, num_partitions=partitions, replication_factor=1, config=dict(config or {}))
        for name in names
    ]
    futures = admin.create_topics(new_topics, operation_timeout=timeout, request_timeout=timeout)
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise KafkaException(f"creating topic {name!r} failed: {error}") from exc
    _wait_until_ready(admin, names, timeout)


def _wait_until_ready(admin: AdminClient, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while True:
        metadata = admin.list_topics(timeout=max(1.0, min(5.0, deadline - time.monotonic())))
        for name in list(pending):
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None or not topic.partitions:
                continue
            if all(p.leader >= 0 and p.error is None for p in topic.partitions.values()):
                pending.discard(name)
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"topics not ready after {timeout:.0f}s: {sorted(pending)}")
        time.sleep(0.1)
