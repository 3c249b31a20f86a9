"""The per-application status projection, kept in Redis.

Ingest writes the first entry when it accepts an application; the notifier advances it from the
stage and decision events (``services/notifier/status``). ``GET /v1/applications/{id}`` reads
it, and may wait for a change (long poll), so an upstream system can follow an application to
its decision.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Literal

import redis.asyncio as aioredis
from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.decision import LoanDecision

Status = Literal[
    "received",
    "documents_verified",
    "awaiting_documents",
    "fraud_screened",
    "scored",
    "referred",
    "decided",
]


class StatusEntry(EventModel):
    status: Status
    at: datetime
    stage: str = Field(max_length=64)


class ApplicationStatus(EventModel):
    """What an upstream system may see about one of its applications."""

    application_id: str = Field(max_length=64)
    owner: str = Field(
        max_length=200, description="Client id that submitted it; only it may read the status."
    )
    status: Status
    version: int = Field(ge=1, description="Grows with every change, for long polling.")
    updated_at: datetime
    timeline: tuple[StatusEntry, ...] = ()
    decision: LoanDecision | None = None
    revision: int = Field(
        default=0, ge=0, description="The application's latest revision (resumed after an upload)."
    )


class StatusStore:
    def __init__(
        self, client: aioredis.Redis, *, prefix: str = "prescreen", ttl_s: int = 90 * 24 * 3600
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}:status"
        self._ttl_s = ttl_s

    def _key(self, application_id: str) -> str:
        return f"{self._prefix}:{application_id}"

    async def create(self, application_id: str, owner: str, at: datetime, stage: str) -> bool:
        """Record a newly received application; False if it already had a status."""
        entry = StatusEntry(status="received", at=at, stage=stage)
        status = ApplicationStatus(
            application_id=application_id,
            owner=owner,
            status="received",
            version=1,
            updated_at=at,
            timeline=(entry,),
        )
        created = await self._client.set(
            self._key(application_id), status.model_dump_json(), nx=True, ex=self._ttl_s
        )
        return bool(created)

    async def get(self, application_id: str) -> ApplicationStatus | None:
        raw = await self._client.get(self._key(application_id))
        return None if raw is None else ApplicationStatus.model_validate_json(raw)

    async def ping(self) -> None:
        await self._client.ping()

    async def delete(self, application_id: str) -> None:
        """Forget a status whose application was never published (the publish failed)."""
        await self._client.delete(self._key(application_id))

    async def put(self, status: ApplicationStatus) -> None:
        """Store a newer version (the projection's writer serialises updates per application)."""
        await self._client.set(
            self._key(status.application_id), status.model_dump_json(), ex=self._ttl_s
        )

    async def wait_for_change(
        self, application_id: str, after_version: int, timeout_s: float, poll_s: float = 0.1
    ) -> ApplicationStatus | None:
        """The status once its version exceeds ``after_version``, or the latest at the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            current = await self.get(application_id)
            if current is None or current.version > after_version:
                return current
            if time.monotonic() >= deadline:
                return current
            await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
