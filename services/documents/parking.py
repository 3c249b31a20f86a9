"""Applications waiting for documents, and files uploaded after submission, kept in Redis.

An application the stage asks documents for is *parked*: its case (personal details still
sealed, as on the topic) is kept until the applicant uploads. Each upload's references are
recorded per application. When an upload arrives for a parked application, exactly one upload
event *resumes* it: a claim per (application, revision) holds the coordinates of the record that
made it, so the same record replayed after a crash resumes it again (its output was never
committed), while any other upload for that revision does not. Everything expires after the
waiting period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import redis

from services.common.contracts import ApplicationCase, DocumentsUploaded
from services.common.contracts.documents import DocumentReference
from services.documents.ports import ResumeClaim

# Claim, or find our own claim: SET NX GET returns the previous value, if any.
_CLAIM = """
local claimed = {}
for i, key in ipairs(KEYS) do
  local previous = redis.call('SET', key, ARGV[i + 1], 'NX', 'GET', 'EX', ARGV[1])
  if (not previous) or previous == ARGV[i + 1] then
    claimed[#claimed + 1] = i
  end
end
return claimed
"""


class RedisParking:
    """The stage's waiting room, in Redis under ``<prefix>:documents:``."""

    def __init__(self, client: redis.Redis, *, prefix: str, ttl_s: int) -> None:
        self._client = client
        self._prefix = f"{prefix}:documents"
        self._ttl_s = ttl_s
        self._claim = client.register_script(_CLAIM)

    def record_uploads(self, uploads: Sequence[DocumentsUploaded]) -> None:
        """Remember every upload's references; recording one twice changes nothing."""
        if not uploads:
            return
        with self._client.pipeline(transaction=False) as pipe:
            for upload in uploads:
                key = self._key("uploads", str(upload.application_id))
                mapping = {
                    reference.sha256: reference.model_dump_json() for reference in upload.documents
                }
                pipe.hset(key, mapping=mapping)  # type: ignore[arg-type]
                pipe.expire(key, self._ttl_s)
            pipe.execute()

    def uploads(self, application_ids: Iterable[str]) -> dict[str, list[DocumentReference]]:
        """The references uploaded after submission, per application, oldest first."""
        ids = list(dict.fromkeys(application_ids))
        if not ids:
            return {}
        with self._client.pipeline(transaction=False) as pipe:
            for application_id in ids:
                pipe.hgetall(self._key("uploads", application_id))
            found = pipe.execute()
        result: dict[str, list[DocumentReference]] = {}
        for application_id, stored in zip(ids, found, strict=True):
            references = [DocumentReference.model_validate_json(raw) for raw in stored.values()]
            if references:
                result[application_id] = sorted(
                    references, key=lambda r: (r.uploaded_at is None, r.uploaded_at, r.sha256)
                )
        return result

    def park(self, cases: Sequence[ApplicationCase]) -> None:
        """Keep cases waiting for documents, replacing any earlier revision."""
        if not cases:
            return
        with self._client.pipeline(transaction=False) as pipe:
            for case in cases:
                key = self._key("parked", str(case.application_id))
                pipe.set(key, case.model_dump_json(), ex=self._ttl_s)
            pipe.execute()

    def parked(self, application_ids: Iterable[str]) -> dict[str, ApplicationCase]:
        """The waiting case of each application that has one."""
        ids = list(dict.fromkeys(application_ids))
        if not ids:
            return {}
        values = self._client.mget([self._key("parked", i) for i in ids])
        return {
            application_id: ApplicationCase.model_validate_json(raw)
            for application_id, raw in zip(ids, values, strict=True)
            if raw is not None
        }

    def claim_resumes(self, claims: Sequence[ResumeClaim]) -> list[bool]:
        """For each claim, whether its record may resume that revision (first, or a replay)."""
        if not claims:
            return []
        keys = [self._key("resumed", f"{c.application_id}:{c.revision}") for c in claims]
        args: list[str | int] = [self._ttl_s, *(c.coordinates for c in claims)]
        won = {int(i) - 1 for i in self._claim(keys=keys, args=args)}
        return [index in won for index in range(len(claims))]

    def _key(self, kind: str, application_id: str) -> str:
        return f"{self._prefix}:{kind}:{application_id}"


def merged(
    existing: Sequence[DocumentReference],
    uploaded: Sequence[DocumentReference],
    limit: int,
) -> tuple[DocumentReference, ...]:
    """The application's references plus later uploads of other bytes, at most ``limit``."""
    references = list(existing)
    seen = {reference.sha256 for reference in existing}
    for reference in uploaded:
        if reference.sha256 not in seen:
            seen.add(reference.sha256)
            references.append(reference)
    return tuple(references[:limit])
