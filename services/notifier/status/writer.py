"""Folding status updates into Redis, one application at a time, safely against a second writer.

Each update is a read-merge-write under ``WATCH``: if another notifier instance changed the
same application in between, the write is refused and retried on the fresh value. The key and
its expiry are the ones ingest's ``StatusStore`` uses, so ``GET /v1/applications/{id}`` serves
what is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import redis

from services.common.status import ApplicationStatus
from services.notifier.status.projection import StatusUpdate, merge

DEFAULT_TTL_S: Final = 90 * 24 * 3600
MAX_CONFLICTS: Final = 20


class StatusConflictError(RuntimeError):
    """Another writer kept changing one application; the batch is retried."""


class StatusWriter:
    def __init__(
        self, client: redis.Redis, *, prefix: str = "prescreen", ttl_s: int = DEFAULT_TTL_S
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:status"
        self._ttl_s = ttl_s

    def key(self, application_id: str) -> str:
        return f"{self._prefix}:{application_id}"

    def get(self, application_id: str) -> ApplicationStatus | None:
        raw = self._client.get(self.key(application_id))
        return None if raw is None else ApplicationStatus.model_validate_json(raw)

    def apply(self, updates: Sequence[StatusUpdate]) -> int:
        """Fold every update in, in order; how many changed a stored status."""
        return sum(1 for update in updates if self._apply(update))

    def _apply(self, update: StatusUpdate) -> bool:
        key = self.key(update.application_id)
        for _ in range(MAX_CONFLICTS):
            with self._client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.get(key)
                    current = None if raw is None else ApplicationStatus.model_validate_json(raw)
                    merged = merge(current, update)
                    if merged is None:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.set(key, merged.model_dump_json(), ex=self._ttl_s)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise StatusConflictError(f"status of {update.application_id} kept changing")
