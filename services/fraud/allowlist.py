"""Cleared false positives: a compliance analyst's decision that a watch-list match is not this
applicant, with who, when and why, and an audit trail in Redis.

A clearance is keyed by the applicant's SSN token and the list entry's uid, so it follows the
person across applications but never covers a different entry. It expires (a year by default)
so stale clearances are looked at again. Every grant and revoke, and every application a
clearance let through, is appended to an audit stream; the "applied" record is written once per
application and entry even when the event is replayed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

import redis
from pydantic import ConfigDict, Field
from redis.typing import EncodableT, FieldT

from services.common.contracts.base import EventModel
from services.common.contracts.pii import SSN_TOKEN_PATTERN
from services.common.contracts.primitives import Timestamp

DEFAULT_TTL: Final = timedelta(days=365)
AUDIT_STREAM: Final = "fraud:allow:audit"

# Appends the "applied" record only the first time (application, entry) is seen, so a replayed
# event does not write the audit trail twice.
_APPLY_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return false
"""


class Clearance(EventModel):
    # A raw SSN typed where the token belongs must not be echoed back by the error.
    model_config = ConfigDict(hide_input_in_errors=True)

    ssn_token: str = Field(pattern=SSN_TOKEN_PATTERN, description="Whose match was cleared.")
    uid: str = Field(min_length=1, max_length=64, description="The list entry cleared.")
    cleared_by: str = Field(min_length=1, max_length=100, description="The analyst's id.")
    cleared_at: Timestamp
    reason: str = Field(min_length=3, max_length=500, description="Why it is not this person.")
    expires_at: Timestamp


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AllowList:
    def __init__(self, client: redis.Redis, *, key_prefix: str, clock: Clock = _utc_now) -> None:
        self._client = client
        self._prefix = f"{key_prefix}:fraud:allow"
        self._audit = f"{key_prefix}:{AUDIT_STREAM}"
        self._clock = clock
        self._apply_once = client.register_script(_APPLY_ONCE)

    def _key(self, ssn_token: str, uid: str) -> str:
        return f"{self._prefix}:{ssn_token}:{uid}"

    def grant(
        self,
        *,
        ssn_token: str,
        uid: str,
        cleared_by: str,
        reason: str,
        ttl: timedelta = DEFAULT_TTL,
    ) -> Clearance:
        now = self._clock()
        clearance = Clearance(
            ssn_token=ssn_token,
            uid=uid,
            cleared_by=cleared_by,
            cleared_at=now,
            reason=reason,
            expires_at=now + ttl,
        )
        with self._client.pipeline(transaction=True) as pipe:
            pipe.set(
                self._key(ssn_token, uid),
                clearance.model_dump_json(),
                ex=max(1, int(ttl.total_seconds())),
            )
            pipe.xadd(self._audit, self._fields("grant", clearance.model_dump(mode="json")))
            pipe.execute()
        return clearance

    def revoke(self, *, ssn_token: str, uid: str, revoked_by: str, reason: str) -> bool:
        """Remove a clearance; False when there was none. The revoke is audited either way."""
        with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(ssn_token, uid))
            pipe.xadd(
                self._audit,
                self._fields(
                    "revoke",
                    {
                        "ssn_token": ssn_token,
                        "uid": uid,
                        "revoked_by": revoked_by,
                        "reason": reason,
                        "at": self._clock().isoformat(),
                    },
                ),
            )
            deleted, _ = pipe.execute()
        return bool(deleted)

    def lookup(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Clearance]:
        """The live clearances among (ssn_token, uid) pairs, in one round trip."""
        if not pairs:
            return {}
        stored = self._client.mget([self._key(token, uid) for token, uid in pairs])
        now = self._clock()
        found = {}
        for pair, raw in zip(pairs, stored, strict=True):
            if raw is None:
                continue
            clearance = Clearance.model_validate_json(raw)
            if clearance.expires_at > now:  # the key's TTL normally removes it already
                found[pair] = clearance
        return found

    def record_applied(self, application_id: str, clearance: Clearance) -> bool:
        """Audit that ``clearance`` let ``application_id`` through; True if newly recorded."""
        marker = f"{self._prefix}:applied:{application_id}:{clearance.uid}"
        fields = self._fields(
            "applied",
            {
                "application_id": application_id,
                "ssn_token": clearance.ssn_token,
                "uid": clearance.uid,
                "cleared_by": clearance.cleared_by,
                "cleared_at": clearance.cleared_at.isoformat(),
                "at": self._clock().isoformat(),
            },
        )
        ttl_s = int(DEFAULT_TTL.total_seconds()) * 2
        flat = [item for pair in fields.items() for item in pair]
        added = self._apply_once(keys=[marker, self._audit], args=[ttl_s, *flat])
        return added is not None

    def audit(self, count: int = 100) -> list[dict[str, Any]]:
        """The latest audit records, newest first."""
        entries = cast(
            list[tuple[bytes, dict[bytes, bytes]]], self._client.xrevrange(self._audit, count=count)
        )
        records = []
        for entry_id, fields in entries:
            decoded = {k.decode(): v.decode() for k, v in fields.items()}
            records.append(
                {
                    "id": entry_id.decode(),
                    "action": decoded["action"],
                    **json.loads(decoded["record"]),
                }
            )
        return records

    @staticmethod
    def _fields(action: str, record: dict[str, Any]) -> dict[FieldT, EncodableT]:
        return {"action": action, "record": json.dumps(record, sort_keys=True)}
