"""Which API client owns an application: the ``owner`` of its status record in Redis.

Ingest writes the owner when it accepts an application and the status projection keeps it.
An application whose status is gone (expired) or that came in through the Kafka intake has no
API client; its events reach platform-wide subscriptions only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import orjson
import redis

from services.notifier.status.projection import KAFKA_OWNER


class OwnerLookup(Protocol):
    def owners(self, application_ids: Iterable[str]) -> dict[str, str | None]: ...


class RedisOwners:
    """Owners from the status records, one ``MGET`` per batch."""

    def __init__(self, client: redis.Redis, *, prefix: str = "prescreen") -> None:
        self._client = client
        self._prefix = f"{prefix}:status"

    def owners(self, application_ids: Iterable[str]) -> dict[str, str | None]:
        ids = sorted(set(application_ids))
        if not ids:
            return {}
        raw = self._client.mget([f"{self._prefix}:{app_id}" for app_id in ids])
        return {app_id: _owner(value) for app_id, value in zip(ids, raw, strict=True)}


def _owner(raw: object) -> str | None:
    if not isinstance(raw, bytes | str):
        return None
    try:
        owner = orjson.loads(raw).get("owner")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(owner, str) or not owner or owner == KAFKA_OWNER:
        return None
    return owner
