"""``Idempotency-Key`` for HTTP: a retried request gets the first answer, not a second effect.

``IdempotencyStore.begin(client_id, key, fingerprint)`` answers one of

* ``New`` — the key is claimed (``SET NX`` with a lease); run the request, then ``complete``
  it with its response, or ``abandon`` it when it failed with a 5xx so that a retry can run;
* ``Replay`` — the stored response (status, a subset of headers, body) of the first request,
  kept for ``ttl_s`` (24 h by default);
* ``Conflict`` — the key was used for a different request (another fingerprint): ``409``;
* ``InProgress`` — the first request with this key is still running: ``409`` with
  ``Retry-After``. By default the store does not wait (``wait_s=0``): a waiting request holds
  its connection and polls Redis, and a client that retried on a timeout retries again anyway.
  A service may set ``IDEMPOTENCY_WAIT_S`` to poll briefly for the first request's answer
  before giving up.

Keys are scoped per client: client A's key never replays client B's response. The fingerprint is
the SHA-256 of method, path (with its query string) and the canonical body (JSON with sorted keys
and no whitespace; other bodies as they are). A lease that runs out (a crashed instance) frees
the key for a retry; choose ``lease_s`` longer than the slowest request.

FastAPI::

    install_idempotency(app, IdempotencyStore.from_settings(client, settings, prefix=...,
                                                            scope="ingest"))
    Idempotent = Annotated[IdempotentRequest, Depends(idempotency(required=True))]

    @app.post("/v1/applications", status_code=202)
    async def submit(body: Application, caller: Writer, idem: Idempotent) -> Response:
        ...
        return await idem.acomplete(JSONResponse(..., status_code=202))

A replay never reaches the route: the dependency raises ``IdempotentReplay`` and the handler
``install_idempotency`` registers answers with the stored response and
``Idempotent-Replayed: true``. A route that raises (including ``HTTPException``) or returns
without ``complete`` releases the key. Multipart bodies are fingerprinted byte for byte, and a
client's multipart boundary changes between retries: such routes should call the store
themselves with a fingerprint over the parts' content (``request_fingerprint`` accepts any
JSON-able value as the body).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

import orjson
import redis
import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import Response
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool

from services.common.http.auth import Authenticated
from services.common.http.errors import (
    IDEMPOTENCY_CONFLICT,
    IDEMPOTENCY_IN_PROGRESS,
    IDEMPOTENCY_KEY_INVALID,
    ProblemError,
)

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
STATE_ATTRIBUTE = "prescreen_idempotency_store"

# Headers of a response worth replaying; the rest (date, server, rate-limit counters, ...)
# belong to the moment of the first answer.
REPLAYED_HEADERS = frozenset(
    {"content-type", "location", "content-location", "cache-control", "etag", "last-modified"}
)

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

# Claim the key, or return what holds it. (Redis 7: SET NX GET in one step.)
_BEGIN = """
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET', 'PX', ARGV[2])
"""

# Store the response if the claim is still ours, or if its lease ran out unclaimed.
_COMPLETE = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or current == false then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""

_ABANDON = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class InvalidIdempotencyKeyError(ValueError):
    """The key is not 1-255 visible ASCII characters."""


def validate_key(key: str) -> str:
    """``key`` if it is 1-255 visible ASCII characters (no spaces, no controls)."""
    if not _KEY.fullmatch(key):
        raise InvalidIdempotencyKeyError("Idempotency-Key must be 1-255 visible ASCII characters")
    return key


def canonical_body(body: bytes | object) -> bytes:
    """JSON bodies with sorted keys and no whitespace; other bytes unchanged."""
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        if not raw.strip():
            return b""
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
        return b"json:" + orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    if body is None:
        return b""
    return b"json:" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def request_fingerprint(
    method: str, path: str, body: bytes | object = b"", *, query: str = ""
) -> str:
    """SHA-256 hex of method, path (and query) and canonical body."""
    digest = hashlib.sha256()
    target = f"{path}?{query}" if query else path
    digest.update(method.upper().encode("ascii"))
    digest.update(b"\n")
    digest.update(target.encode("utf-8"))
    digest.update(b"\n")
    digest.update(canonical_body(body))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The part of a response that a replay returns."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def from_response(
        cls, response: Response, keep: Iterable[str] = REPLAYED_HEADERS
    ) -> StoredResponse:
        kept = {name.lower() for name in keep}
        headers = tuple(
            (name, value) for name, value in response.headers.items() if name.lower() in kept
        )
        return cls(status=response.status_code, headers=headers, body=bytes(response.body))

    def to_response(self) -> Response:
        response = Response(content=self.body, status_code=self.status)
        for name, value in self.headers:
            response.headers[name] = value
        response.headers[REPLAYED_HEADER] = "true"
        return response

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "body": base64.b64encode(self.body).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredResponse:
        return cls(
            status=int(data["status"]),
            headers=tuple((str(name), str(value)) for name, value in data["headers"]),
            body=base64.b64decode(data["body"]),
        )


@dataclass(frozen=True, slots=True)
class New:
    """The key is ours: run the request, then ``complete`` or ``abandon``."""

    client_id: str
    key: str
    fingerprint: str
    redis_key: str = field(repr=False)
    claim: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Replay:
    """The first request with this key finished; answer with its response."""

    response: StoredResponse


@dataclass(frozen=True, slots=True)
class Conflict:
    """The key was used for a different request."""


@dataclass(frozen=True, slots=True)
class InProgress:
    """The first request with this key is still running."""

    retry_after_s: int


BeginResult = New | Replay | Conflict | InProgress


class IdempotencySettings(BaseSettings):
    """``Idempotency-Key`` handling of an HTTP service, read under its own prefix."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_HTTP_", extra="ignore", frozen=True)

    idempotency_ttl_s: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    idempotency_lease_s: float = Field(default=60.0, gt=0, le=3600)
    idempotency_wait_s: float = Field(default=0.0, ge=0, le=30)
    idempotency_retry_after_s: int = Field(default=1, ge=1, le=3600)


def idempotency_settings_for(env_prefix: str, **values: Any) -> IdempotencySettings:
    """``IdempotencySettings`` read under a service's prefix, e.g. ``PRESCREEN_INGEST_``."""
    return IdempotencySettings(_env_prefix=env_prefix, **values)


class IdempotencyStore:
    """Claims, stored responses and replays under ``{prefix}:idempotency:{scope}:``.

    ``begin``/``complete``/``abandon`` block; ``abegin``/``acomplete``/``aabandon`` run on the
    event loop and need the store built with an ``async_client`` (without one they hand the
    blocking calls to the thread pool, so either form works in any route).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        scope: str,
        ttl_s: int = 24 * 3600,
        lease_s: float = 60.0,
        wait_s: float = 0.0,
        retry_after_s: int = 1,
        poll_s: float = 0.05,
        async_client: aioredis.Redis | None = None,
    ) -> None:
        self._namespace = f"{prefix}:idempotency:{scope}"
        self._ttl_s = ttl_s
        self._lease_ms = max(1, int(lease_s * 1000))
        self._wait_s = wait_s
        self._retry_after_s = retry_after_s
        self._poll_s = poll_s
        self._begin = client.register_script(_BEGIN)
        self._complete = client.register_script(_COMPLETE)
        self._abandon = client.register_script(_ABANDON)
        self._async = (
            (
                async_client.register_script(_BEGIN),
                async_client.register_script(_COMPLETE),
                async_client.register_script(_ABANDON),
            )
            if async_client is not None
            else None
        )

    @classmethod
    def from_settings(
        cls,
        client: redis.Redis,
        settings: IdempotencySettings,
        *,
        prefix: str,
        scope: str,
        async_client: aioredis.Redis | None = None,
    ) -> IdempotencyStore:
        return cls(
            client,
            prefix=prefix,
            scope=scope,
            ttl_s=settings.idempotency_ttl_s,
            lease_s=settings.idempotency_lease_s,
            wait_s=settings.idempotency_wait_s,
            retry_after_s=settings.idempotency_retry_after_s,
            async_client=async_client,
        )

    def redis_key(self, client_id: str, key: str) -> str:
        # The client id is percent-encoded, so it holds no ':' and the pair is unambiguous.
        return f"{self._namespace}:{_quote(client_id)}:{key}"

    def begin(self, client_id: str, key: str, fingerprint: str) -> BeginResult:
        """Claim ``key`` for this request, or say why not (see the module docstring)."""
        attempt = self._attempt(client_id, key, fingerprint)
        while True:
            current = self._begin(keys=[attempt.new.redis_key], args=attempt.args)
            result = attempt.judge(current)
            if result is not None:
                return result
            time.sleep(self._poll_s)

    async def abegin(self, client_id: str, key: str, fingerprint: str) -> BeginResult:
        """``begin`` without blocking the event loop."""
        if self._async is None:
            return await run_in_threadpool(self.begin, client_id, key, fingerprint)
        attempt = self._attempt(client_id, key, fingerprint)
        while True:
            current = await self._async[0](keys=[attempt.new.redis_key], args=attempt.args)
            result = attempt.judge(current)
            if result is not None:
                return result
            await asyncio.sleep(self._poll_s)

    def _attempt(self, client_id: str, key: str, fingerprint: str) -> _Attempt:
        validate_key(key)
        claim = orjson.dumps({"state": "pending", "fp": fingerprint, "id": uuid.uuid4().hex})
        return _Attempt(
            New(client_id, key, fingerprint, self.redis_key(client_id, key), claim),
            args=[claim, self._lease_ms],
            deadline=time.monotonic() + self._wait_s,
            retry_after_s=self._retry_after_s,
        )

    def complete(self, claim: New, response: StoredResponse) -> bool:
        """Store the response for replays; False if the claim was lost (lease ran out)."""
        stored = self._complete(keys=[claim.redis_key], args=self._done_args(claim, response))
        return self._stored(claim, stored)

    async def acomplete(self, claim: New, response: StoredResponse) -> bool:
        """``complete`` without blocking the event loop."""
        if self._async is None:
            return await run_in_threadpool(self.complete, claim, response)
        args = self._done_args(claim, response)
        return self._stored(claim, await self._async[1](keys=[claim.redis_key], args=args))

    def _done_args(self, claim: New, response: StoredResponse) -> list[Any]:
        record = orjson.dumps(
            {"state": "done", "fp": claim.fingerprint, "response": response.to_json()}
        )
        return [claim.claim, record, self._ttl_s]

    @staticmethod
    def _stored(claim: New, stored: Any) -> bool:
        if not stored:
            log.warning(
                "idempotent request outlived its lease; its response was not stored",
                extra={"client_id": claim.client_id},
            )
        return bool(stored)

    def abandon(self, claim: New) -> bool:
        """Release the claim so that a retry runs the request again."""
        return bool(self._abandon(keys=[claim.redis_key], args=[claim.claim]))

    async def aabandon(self, claim: New) -> bool:
        """``abandon`` without blocking the event loop."""
        if self._async is None:
            return await run_in_threadpool(self.abandon, claim)
        return bool(await self._async[2](keys=[claim.redis_key], args=[claim.claim]))


@dataclass(frozen=True)
class _Attempt:
    """One ``begin``: the claim it would make and how to read what Redis answered."""

    new: New
    args: list[Any]
    deadline: float
    retry_after_s: int

    def judge(self, current: bytes | None) -> BeginResult | None:
        """The outcome, or None to ask again (the first request is running; still waiting)."""
        if current is None:
            return self.new
        record = orjson.loads(current)
        if record.get("fp") != self.new.fingerprint:
            return Conflict()
        if record.get("state") == "done":
            return Replay(StoredResponse.from_json(record["response"]))
        if time.monotonic() >= self.deadline:
            return InProgress(self.retry_after_s)
        return None


def _quote(value: str) -> str:
    return quote(value, safe="")


# --- FastAPI integration ---------------------------------------------------------------------


class IdempotentReplay(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the dependency to answer with a stored response (see ``install_idempotency``)."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response


class IdempotentRequest:
    """The route's handle on its idempotency claim (no-op when the request sent no key).

    Plain ``def`` routes call ``complete``; ``async def`` routes ``await acomplete``, which
    never blocks the event loop.
    """

    def __init__(self, store: IdempotencyStore, claim: New | None) -> None:
        self._store = store
        self._claim = claim
        self._finished = claim is None

    @property
    def key(self) -> str | None:
        return self._claim.key if self._claim is not None else None

    @property
    def finished(self) -> bool:
        return self._finished

    def _take(self) -> New | None:
        """The claim, once: whoever finishes the request first settles it."""
        if self._claim is None or self._finished:
            return None
        self._finished = True
        return self._claim

    def complete(self, response: Response) -> Response:
        """Store ``response`` for replays (a 5xx releases the key instead); returns it."""
        claim = self._take()
        if claim is not None:
            if response.status_code >= 500:
                self._store.abandon(claim)
            else:
                self._store.complete(claim, StoredResponse.from_response(response))
        return response

    async def acomplete(self, response: Response) -> Response:
        """``complete`` for ``async def`` routes."""
        claim = self._take()
        if claim is not None:
            if response.status_code >= 500:
                await self._store.aabandon(claim)
            else:
                await self._store.acomplete(claim, StoredResponse.from_response(response))
        return response

    def abandon(self) -> None:
        """Release the key so that a retry runs the request again."""
        claim = self._take()
        if claim is not None:
            self._store.abandon(claim)

    async def aabandon(self) -> None:
        """``abandon`` for ``async def`` routes."""
        claim = self._take()
        if claim is not None:
            await self._store.aabandon(claim)


def install_idempotency(app: FastAPI, store: IdempotencyStore) -> None:
    """Make ``store`` the one the ``idempotency`` dependencies of ``app`` use; answer replays."""
    setattr(app.state, STATE_ATTRIBUTE, store)
    app.add_exception_handler(IdempotentReplay, _replay_handler)


async def _replay_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, IdempotentReplay):  # pragma: no cover - registration guard
        raise exc
    return exc.response.to_response()


async def get_idempotency_store(request: Request) -> IdempotencyStore:
    """The app's ``IdempotencyStore`` (override in tests with ``app.dependency_overrides``)."""
    store = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(store, IdempotencyStore):
        raise RuntimeError("install_idempotency(app, store) was not called")
    return store


def idempotency(*, required: bool = False) -> Callable[..., AsyncIterator[IdempotentRequest]]:
    """Dependency factory honouring ``Idempotency-Key`` (``400`` if missing and ``required``).

    Answers a retry with the stored response, a reused key with ``409``, a concurrent
    duplicate with ``409`` and ``Retry-After``; otherwise yields an ``IdempotentRequest``.
    """

    async def dependency(
        request: Request,
        principal: Authenticated,
        store: Annotated[IdempotencyStore, Depends(get_idempotency_store)],
        key: Annotated[
            str | None,
            Header(
                alias=IDEMPOTENCY_KEY_HEADER,
                description="1-255 visible ASCII characters; a retry reuses it.",
            ),
        ] = None,
    ) -> AsyncIterator[IdempotentRequest]:
        if key is None:
            if required:
                raise ProblemError(
                    400,
                    f"this operation requires an {IDEMPOTENCY_KEY_HEADER} header",
                    type_=IDEMPOTENCY_KEY_INVALID,
                )
            yield IdempotentRequest(store, None)
            return
        try:
            validate_key(key)
        except InvalidIdempotencyKeyError as exc:
            raise ProblemError(400, str(exc), type_=IDEMPOTENCY_KEY_INVALID) from None
        fingerprint = request_fingerprint(
            request.method, request.url.path, await request.body(), query=request.url.query
        )
        result = await store.abegin(principal.client_id, key, fingerprint)
        if isinstance(result, Replay):
            raise IdempotentReplay(result.response)
        if isinstance(result, Conflict):
            raise ProblemError(
                409,
                f"this {IDEMPOTENCY_KEY_HEADER} was used for a different request",
                title="Idempotency key reused",
                type_=IDEMPOTENCY_CONFLICT,
            )
        if isinstance(result, InProgress):
            raise ProblemError(
                409,
                f"a request with this {IDEMPOTENCY_KEY_HEADER} is still being processed",
                title="Request in progress",
                type_=IDEMPOTENCY_IN_PROGRESS,
                headers={"Retry-After": str(result.retry_after_s)},
            )
        handle = IdempotentRequest(store, result)
        try:
            yield handle
        except BaseException:
            await handle.aabandon()
            raise
        if not handle.finished:
            log.warning("idempotent route returned without complete(); key released")
            await handle.aabandon()

    return dependency
