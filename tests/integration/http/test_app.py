"""A small service wired with the shared HTTP dependencies, driven through its HTTP interface."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
import redis
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.common.http import (
    PROBLEM_JSON,
    SCOPE_APPLICATIONS_READ,
    SCOPE_APPLICATIONS_WRITE,
    Authenticator,
    IdempotencyStore,
    IdempotentRequest,
    Principal,
    RateLimiter,
    RateLimitRule,
    enforce_rate_limit,
    idempotency,
    install_auth,
    install_error_handlers,
    install_idempotency,
    install_rate_limiter,
    request_fingerprint,
    require_scopes,
)
from tests.unit.http.support import API_KEY_A, API_KEY_B, Keys, auth_settings, mint

Writer = Annotated[Principal, Depends(require_scopes(SCOPE_APPLICATIONS_WRITE))]
Reader = Annotated[Principal, Depends(require_scopes(SCOPE_APPLICATIONS_READ))]
Idempotent = Annotated[IdempotentRequest, Depends(idempotency(required=True))]


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0)
    outcome: str = "accept"


class Service:
    """The app and what its route did, for assertions."""

    def __init__(self, client: redis.Redis, keys: Keys, *, limit: RateLimitRule, **rl: Any) -> None:
        self.calls: list[tuple[str, int]] = []
        app = FastAPI()
        install_error_handlers(app)
        install_auth(app, Authenticator(auth_settings(keys)))
        install_rate_limiter(
            app, RateLimiter(client, prefix="test", scope="svc", default=limit, **rl)
        )
        install_idempotency(app, IdempotencyStore(client, prefix="test", scope="svc"))
        self.store = app.state.prescreen_idempotency_store
        router = APIRouter(dependencies=[Depends(enforce_rate_limit)])

        @router.post("/v1/applications", status_code=202)
        def submit(body: Submission, caller: Writer, idem: Idempotent) -> Response:
            self.calls.append((caller.client_id, body.amount))
            if body.outcome == "crash":
                return idem.complete(JSONResponse({"detail": "down"}, status_code=503))
            if body.outcome == "raise":
                raise HTTPException(400, "refused by the route")
            number = len(self.calls)
            return idem.complete(
                JSONResponse(
                    {"id": f"app-{number}", "client": caller.client_id},
                    status_code=202,
                    headers={"Location": f"/v1/applications/app-{number}", "X-Trace": "t"},
                )
            )

        @router.get("/v1/applications/{application_id}")
        def read(application_id: str, caller: Reader) -> dict[str, str]:
            return {"id": application_id, "client": caller.client_id}

        @app.get("/healthz")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        app.include_router(router)
        self.app = app
        self.http = TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def service(redis_client: redis.Redis, keys: Keys) -> Iterator[Service]:
    svc = Service(redis_client, keys, limit=RateLimitRule(per_s=1000, burst=1000))
    with svc.http:
        yield svc


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit(svc: Service, headers: dict[str, str], key: str | None, **body: Any) -> Any:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return svc.http.post("/v1/applications", json={"amount": 1000, **body}, headers=headers)


# --- 401 / 403 -------------------------------------------------------------------------------


def test_health_needs_no_credentials(service: Service) -> None:
    assert service.http.get("/healthz").status_code == 200


def test_missing_credentials_is_401(service: Service) -> None:
    response = submit(service, {}, "k1")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="prescreen"'
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "missing credentials"
    assert service.calls == []


def test_expired_token_is_401_without_echo(service: Service, keys: Keys) -> None:
    now = int(time.time())
    token = mint(keys.rsa, "RS256", iat=now - 900, nbf=now - 900, exp=now - 600)
    response = service.http.get("/v1/applications/a1", headers=bearer(token))
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert 'error_description="token expired"' in challenge
    assert token not in response.text
    assert token not in challenge


def test_forged_token_and_bad_api_key_are_401(service: Service, keys: Keys) -> None:
    forged = service.http.get("/v1/applications/a1", headers=bearer(mint(keys.other_rsa, "RS256")))
    assert forged.status_code == 401
    bad_key = service.http.get("/v1/applications/a1", headers={"X-API-Key": "guess"})
    assert bad_key.status_code == 401
    assert "guess" not in bad_key.text


def test_missing_scope_is_403(service: Service, keys: Keys) -> None:
    # client-a's API key may write but not read.
    response = service.http.get("/v1/applications/a1", headers={"X-API-Key": API_KEY_A})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="applications:read"' in response.headers["www-authenticate"]
    assert response.json()["type"] == "urn:prescreen:problem:insufficient-scope"
    token = mint(keys.ec, "ES256", scope="documents:write")
    assert service.http.get("/v1/applications/a1", headers=bearer(token)).status_code == 403


def test_authorised_calls(service: Service, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", client_id="bank-7")
    response = service.http.get("/v1/applications/a1", headers=bearer(token))
    assert response.json() == {"id": "a1", "client": "bank-7"}
    response = service.http.get("/v1/applications/a2", headers={"X-API-Key": API_KEY_B})
    assert response.json() == {"id": "a2", "client": "client-b"}


def test_openapi_documents_the_security_schemes(service: Service) -> None:
    schemes = service.http.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"


# --- 429 -------------------------------------------------------------------------------------


def test_rate_limit_429_with_retry_after(redis_client: redis.Redis, keys: Keys) -> None:
    svc = Service(
        redis_client,
        keys,
        limit=RateLimitRule(per_s=1000, burst=1000),
        overrides={"client-b": RateLimitRule(per_s=0.5, burst=2)},
    )
    with svc.http:
        url = "/v1/applications/a1"
        codes = [svc.http.get(url, headers={"X-API-Key": API_KEY_B}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = svc.http.get(url, headers={"X-API-Key": API_KEY_B})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM_JSON
        retry_after = refused.headers["retry-after"]
        assert retry_after.isdigit()
        assert 1 <= int(retry_after) <= 2
        # Another client is not affected.
        token = mint(keys.rsa, "RS256", client_id="bank-7")
        assert svc.http.get(url, headers=bearer(token)).status_code == 200


def _dead_redis() -> redis.Redis:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return redis.Redis(
        port=port, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def test_unreachable_redis_fails_closed_by_default(keys: Keys) -> None:
    client = _dead_redis()
    svc = Service(client, keys, limit=RateLimitRule(per_s=10, burst=10))
    response = svc.http.get("/v1/applications/a1", headers={"X-API-Key": API_KEY_B})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_unreachable_redis_can_fail_open(keys: Keys) -> None:
    client = _dead_redis()
    svc = Service(client, keys, limit=RateLimitRule(per_s=10, burst=10), fail_open=True)
    response = svc.http.get("/v1/applications/a1", headers={"X-API-Key": API_KEY_B})
    assert response.status_code == 200


# --- Idempotency-Key -------------------------------------------------------------------------


def test_retry_replays_the_first_response(service: Service) -> None:
    headers = {"X-API-Key": API_KEY_A}
    first = submit(service, headers, "retry-1")
    assert first.status_code == 202
    second = submit(service, headers, "retry-1")
    assert second.status_code == 202
    assert second.json() == first.json() == {"id": "app-1", "client": "client-a"}
    assert second.headers["location"] == "/v1/applications/app-1"
    assert second.headers["idempotent-replayed"] == "true"
    assert "x-trace" not in second.headers
    assert "idempotent-replayed" not in first.headers
    assert service.calls == [("client-a", 1000)]


def test_reused_key_with_other_body_is_409(service: Service) -> None:
    headers = {"X-API-Key": API_KEY_A}
    assert submit(service, headers, "reuse-1").status_code == 202
    response = submit(service, headers, "reuse-1", amount=2000)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:prescreen:problem:idempotency-key-reused"
    assert len(service.calls) == 1


def test_in_progress_duplicate_is_409_with_retry_after(service: Service) -> None:
    fingerprint = request_fingerprint("POST", "/v1/applications", {"amount": 1000})
    service.store.begin("client-a", "busy-1", fingerprint)  # the first request, still running
    response = submit(service, {"X-API-Key": API_KEY_A}, "busy-1")
    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "urn:prescreen:problem:idempotency-in-progress"
    assert service.calls == []


def test_5xx_releases_the_key(service: Service) -> None:
    headers = {"X-API-Key": API_KEY_A}
    assert submit(service, headers, "crash-1", outcome="crash").status_code == 503
    assert submit(service, headers, "crash-1", outcome="crash").status_code == 503
    assert len(service.calls) == 2
    assert "idempotent-replayed" not in submit(service, headers, "crash-1", outcome="crash").headers


def test_raised_errors_and_invalid_bodies_release_the_key(service: Service) -> None:
    headers = {"X-API-Key": API_KEY_A}
    assert submit(service, headers, "raise-1", outcome="raise").status_code == 400
    assert submit(service, headers, "raise-1", outcome="raise").status_code == 400
    assert len(service.calls) == 2
    invalid = submit(service, headers, "invalid-1", amount=-1)
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["path"] == "amount"
    # The key was not spent on the invalid body: the corrected request runs under it.
    assert submit(service, headers, "invalid-1").status_code == 202


def test_keys_are_per_client(service: Service) -> None:
    a = submit(service, {"X-API-Key": API_KEY_A}, "same-key")
    b = submit(service, {"X-API-Key": API_KEY_B}, "same-key")
    assert a.json()["client"] == "client-a"
    assert b.json()["client"] == "client-b"
    assert "idempotent-replayed" not in b.headers
    assert len(service.calls) == 2


def test_missing_or_invalid_key_is_400(service: Service) -> None:
    headers = {"X-API-Key": API_KEY_A}
    missing = submit(service, headers, None)
    assert missing.status_code == 400
    assert "Idempotency-Key" in missing.json()["detail"]
    assert submit(service, headers, "x" * 256).status_code == 400
    assert service.calls == []


def test_unauthenticated_request_claims_nothing(
    service: Service, redis_client: redis.Redis
) -> None:
    assert submit(service, {}, "anon-1").status_code == 401
    assert redis_client.keys("test:idempotency:*") == []
