"""Folding status updates into Redis a batch at a time, safely against a second writer.

Per batch, the updates are grouped by application, every stored status is read with one
``MGET``, each application's updates are merged in Python, and the results are written with one
compare-and-set script: a key is written only if it still holds exactly what was read (its
SHA-1, or still absent), which is what a ``WATCH`` on that key would guarantee. Applications
that lost a race to another notifier instance are read and merged again; the rest of the batch
stays written. The key and its expiry are the ones ingest's ``StatusStore`` uses, so
``GET /v1/applications/{id}`` serves what is written here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

import redis

from services.common.status import ApplicationStatus
from services.notifier.status.projection import StatusUpdate, fold

DEFAULT_TTL_S: Final = 90 * 24 * 3600
MAX_CONFLICTS: Final = 20

_ABSENT: Final = ""

# ARGV: ttl, then per key its expected SHA-1 ("" = absent) and the new value. Answers the
# 1-based positions of keys that changed since they were read; those are not written. Hashes
# travel instead of the old values so a batch does not send every status back to Redis.
_COMPARE_AND_SET: Final = """
local lost = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  local expected = ARGV[2 * i]
  local same
  if current then
    same = redis.sha1hex(current) == expected
  else
    same = expected == ''
  end
  if same then
    redis.call('SET', key, ARGV[2 * i + 1], 'EX', ARGV[1])
  else
    lost[#lost + 1] = i
  end
end
return lost
"""


class StatusConflictError(RuntimeError):
    """Another writer kept changing one application; the batch is retried."""


class StatusWriter:
    def __init__(
        self, client: redis.Redis, *, prefix: str = "prescreen", ttl_s: int = DEFAULT_TTL_S
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:status"
        self._ttl_s = ttl_s
        self._compare_and_set = client.register_script(_COMPARE_AND_SET)

    def key(self, application_id: str) -> str:
        return f"{self._prefix}:{application_id}"

    def get(self, application_id: str) -> ApplicationStatus | None:
        raw = self._client.get(self.key(application_id))
        return None if raw is None else ApplicationStatus.model_validate_json(raw)

    def apply(self, updates: Sequence[StatusUpdate]) -> int:
        """Fold every update in, in order per application; how many changed a stored status."""
        pending: dict[str, list[StatusUpdate]] = {}
        for update in updates:
            pending.setdefault(update.application_id, []).append(update)
        changed = 0
        for _ in range(MAX_CONFLICTS):
            if not pending:
                return changed
            written, lost = self._apply_once(pending)
            changed += written
            pending = {application_id: pending[application_id] for application_id in lost}
        if not pending:
            return changed
        raise StatusConflictError(f"status of {next(iter(pending))} kept changing")

    def _apply_once(self, pending: dict[str, list[StatusUpdate]]) -> tuple[int, list[str]]:
        """One read-merge-write round: (updates that took effect, applications that lost)."""
        ids = list(pending)
        stored = self._client.mget([self.key(application_id) for application_id in ids])
        keys: list[str] = []
        args: list[str | int] = [self._ttl_s]
        counts: list[int] = []
        written_ids: list[str] = []
        for application_id, raw in zip(ids, stored, strict=True):
            current = None if raw is None else ApplicationStatus.model_validate_json(raw)
            merged, count = fold(current, pending[application_id])
            if merged is None:
                continue
            keys.append(self.key(application_id))
            args += [_fingerprint(raw), merged.model_dump_json()]
            counts.append(count)
            written_ids.append(application_id)
        if not keys:
            return 0, []
        lost_positions = {int(i) - 1 for i in self._compare_and_set(keys=keys, args=args)}
        written = sum(c for i, c in enumerate(counts) if i not in lost_positions)
        return written, [written_ids[i] for i in sorted(lost_positions)]


def _fingerprint(raw: bytes | str | None) -> str:
    """What ``redis.sha1hex`` gives for the stored value (a client may decode replies)."""
    if raw is None:
        return _ABSENT
    data = raw.encode() if isinstance(raw, str) else raw
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
