"""Creating topics from the registry (or ad-hoc names) and waiting until they exist."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from services.common.contracts.topics import TopicSpec
from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)


def ensure_topics(
    kafka: KafkaSettings,
    topics: Iterable[TopicSpec[Any] | str],
    *,
    partitions: int | None = None,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left alone."""
    admin = AdminClient(kafka.client_config())
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted: list[NewTopic] = []
    for topic in topics:
        name = topic if isinstance(topic, str) else topic.name
        count = partitions or (6 if isinstance(topic, str) else topic.partitions)
        config = {} if isinstance(topic, str) else dict(topic.config)
        if name not in existing:
            wanted.append(NewTopic(name, count, replication_factor, config=config))
    if not wanted:
        return []
    created: list[str] = []
    for name, future in admin.create_topics(wanted, request_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].code() != 36:  # TOPIC_ALREADY_EXISTS: another process won the race
                raise
    _wait_until_visible(admin, [t.topic for t in wanted], timeout_s)
    log.info("topics created", extra={"topics": created})
    return created


def _wait_until_visible(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=timeout_s).topics
        if all(name in metadata and metadata[name].error is None for name in names):
            return
        time.sleep(0.1)
    raise TimeoutError(f"topics not visible after {timeout_s}s: {names}")
