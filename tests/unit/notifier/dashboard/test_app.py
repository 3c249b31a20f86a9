"""The dashboard's HTTP surface without Kafka: the page and its headers, authentication, the
summary, the stream cap and the probes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest
from fastapi.testclient import TestClient

from services.common.http.auth import Authenticator
from services.common.http.auth_settings import api_key_hash, auth_settings_for
from services.notifier.dashboard.app import DashboardParts, create_app
from services.notifier.dashboard.hub import DashboardHub
from services.notifier.dashboard.settings import (
    ENV_PREFIX,
    SCOPE_DECISIONS_READ,
    DashboardSettings,
)
from services.notifier.dashboard.window import DecisionWindow
from tests.unit.notifier.dashboard.support import decision

READER_KEY = "reader-key-" + "r" * 30
OTHER_KEY = "other-key-" + "o" * 30
SECRET = "s" * 40
ISSUER, AUDIENCE = "https://issuer.test", "dashboard"


@pytest.fixture
def hub() -> DashboardHub:
    return DashboardHub(DecisionWindow(), max_streams=1)


@pytest.fixture
def client(hub: DashboardHub) -> Iterator[TestClient]:
    settings = auth_settings_for(
        ENV_PREFIX,
        api_keys={
            "ops": {"sha256": api_key_hash(READER_KEY), "scopes": [SCOPE_DECISIONS_READ]},
            "other": {"sha256": api_key_hash(OTHER_KEY), "scopes": ["applications:read"]},
        },
        jwt_algorithms=("HS256",),
        jwt_hs256_secret=SECRET,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )
    app = create_app(
        DashboardParts(settings=DashboardSettings(), hub=hub, feed=None),
        authenticator=Authenticator(settings),
    )
    with TestClient(app) as test_client:
        yield test_client


def test_the_page_and_its_files_carry_the_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    # No inline script: every <script> element has a src on this origin.
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts and all('src="/static/' in tag for tag in scripts)
    assert "style=" not in page.text
    for element_id in ("approval-rate", "latest-decisions", "decline-reasons", "chart-pd"):
        assert f'id="{element_id}"' in page.text

    script = client.get("/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-security-policy"] == policy
    style = client.get("/static/dashboard.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    for name in ("sse.js", "render.js"):
        assert client.get(f"/static/{name}").status_code == 200
    for name in ("index.html", "nope.js", "..%2Fapp.py", "%2E%2E%2Fsettings.py"):
        missing = client.get(f"/static/{name}")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


def test_the_page_loads_nothing_from_elsewhere_and_writes_no_html(client: TestClient) -> None:
    names = ("sse.js", "render.js", "dashboard.js", "dashboard.css")
    files = [client.get("/").text, *(client.get(f"/static/{name}").text for name in names)]
    for text in files:
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert all(url == "http://www.w3.org/2000/svg" for url in urls), urls
    script = "\n".join(files[1:4])
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "eval(" not in script and "localStorage" not in script
    assert "sessionStorage" in script


@pytest.mark.parametrize("path", ["/v1/decisions/stream", "/v1/decisions/summary"])
def test_unauthenticated_callers_get_401_problems(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401
    assert client.get(path, headers={"X-API-Key": "wrong-" + "w" * 30}).status_code == 401


def test_a_caller_without_the_scope_gets_403(client: TestClient) -> None:
    response = client.get("/v1/decisions/summary", headers={"X-API-Key": OTHER_KEY})
    assert response.status_code == 403
    assert "decisions:read" in response.json()["detail"]


def test_the_summary_is_the_snapshot(client: TestClient, hub: DashboardHub) -> None:
    now = datetime.now(UTC)
    hub.ingest([decision(1, decided_at=now), decision(2, decided_at=now, outcome="declined")])
    response = client.get("/v1/decisions/summary", headers={"X-API-Key": READER_KEY})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["decisions"] == 2 and body["approval"]["rate"] == 0.5
    assert body["decline_reasons"][0]["code"] == "DTI_TOO_HIGH"


def test_a_bearer_jwt_with_the_scope_is_accepted(client: TestClient) -> None:
    issued = int(time.time())
    token = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "operator",
            "iat": issued,
            "exp": issued + 300,
            "scope": SCOPE_DECISIONS_READ,
        },
        SECRET,
        algorithm="HS256",
    )
    response = client.get("/v1/decisions/summary", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["window_minutes"] == 15


def test_streams_beyond_the_cap_get_503(client: TestClient, hub: DashboardHub) -> None:
    assert hub.subscribe() is not None  # the one stream allowed
    response = client.get("/v1/decisions/stream", headers={"X-API-Key": READER_KEY})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"


def test_probes_without_a_reader(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.text.startswith("ok")
