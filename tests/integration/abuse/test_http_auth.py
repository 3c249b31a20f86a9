"""Authentication and access abuse: missing, forged and stolen credentials, other clients' ids.

Every refused credential is ``401`` problem+json with a ``WWW-Authenticate: Bearer`` challenge
(``403`` for a valid token without the scope), never echoes the credential, and writes nothing.
A valid client asking for another client's application gets exactly the answer it would get for
an id that does not exist, and odd ids in the path are refused without a server error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import pytest

from tests.integration.abuse.corpus import FORGED_LINE, HTTP_APPLICANT
from tests.integration.abuse.support import (
    API_KEYS,
    AbuseApi,
    JwtKeys,
    LogTap,
    api_key,
    assert_clean_log,
    assert_nothing_written,
    assert_problem,
)
from tests.unit.http.support import AUDIENCE, HS256_SECRET, ISSUER

pytestmark = pytest.mark.integration

Headers = dict[str, str | bytes]


@dataclass(frozen=True)
class AuthCase:
    id: str
    headers: Callable[[JwtKeys], Headers]
    status: int = 401
    error: str | None = "invalid_token"
    """The ``error`` of the challenge; None when no credentials were sent at all."""


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def _unsigned(keys: JwtKeys) -> Headers:
    return _bearer(jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x"}, "", algorithm="none"))


def _public_key_as_hmac_secret(keys: JwtKeys) -> Headers:
    # Algorithm confusion: HS256 "signed" with the server's own RSA public key as the secret.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    valid = keys.token()
    payload = valid.split(".")[1].encode()
    signing_input = header + b"." + payload
    secret = keys.trusted_public_pem.encode()
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    forged = signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")
    return _bearer(forged.decode())


def _tampered(keys: JwtKeys) -> Headers:
    # A valid token whose claims were swapped for another client's, signature kept.
    header, _, signature = keys.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(keys.token().split(".")[1] + "=="))
    claims["client_id"] = "bank-a"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return _bearer(f"{header}.{payload}.{signature}")


AUTH_CASES = (
    AuthCase("no-credentials", lambda keys: {}, error=None),
    AuthCase("empty-api-key", lambda keys: {"X-API-Key": ""}, error=None),
    AuthCase("wrong-api-key", lambda keys: {"X-API-Key": "abuse-key-a-" + "Q" * 32}),
    AuthCase("api-key-with-trailing-byte", lambda keys: {"X-API-Key": API_KEYS["bank-a"] + "x"}),
    AuthCase("non-ascii-api-key", lambda keys: {"X-API-Key": (API_KEYS["bank-a"] + "é").encode()}),
    AuthCase("huge-api-key", lambda keys: {"X-API-Key": "k" * 20_000}),
    AuthCase("sql-in-api-key", lambda keys: {"X-API-Key": "' OR '1'='1"}),
    AuthCase(
        "both-credentials",
        lambda keys: {**_bearer(keys.token()), **api_key("bank-a")},
        error="invalid_request",
    ),
    AuthCase(
        "basic-scheme",
        lambda keys: {"Authorization": "Basic " + base64.b64encode(b"bank-a:x").decode()},
        error="invalid_request",
    ),
    AuthCase("bearer-garbage", lambda keys: _bearer("not.a.jwt")),
    AuthCase("bearer-huge", lambda keys: _bearer("a" * 20_000)),
    AuthCase("jwt-signed-by-unknown-key", lambda keys: _bearer(keys.token(key=keys.untrusted))),
    AuthCase("jwt-alg-none", _unsigned),
    AuthCase("jwt-hs256-with-public-key-as-secret", _public_key_as_hmac_secret),
    AuthCase(
        "jwt-hs256-wrong-secret",
        lambda keys: _bearer(keys.token(key="w" * 40, algorithm="HS256")),
    ),
    AuthCase("jwt-tampered-claims", _tampered),
    AuthCase("jwt-wrong-issuer", lambda keys: _bearer(keys.token(iss="https://evil.test"))),
    AuthCase("jwt-wrong-audience", lambda keys: _bearer(keys.token(aud="another-api"))),
    AuthCase(
        "jwt-expired",
        lambda keys: _bearer(
            keys.token(iat=int(time.time()) - 7200, nbf=None, exp=int(time.time()) - 3600)
        ),
    ),
    AuthCase("jwt-not-yet-valid", lambda keys: _bearer(keys.token(nbf=int(time.time()) + 3600))),
    AuthCase("jwt-without-expiry", lambda keys: _bearer(keys.token(exp=None))),
    AuthCase("jwt-expiry-not-a-number", lambda keys: _bearer(keys.token(exp="tomorrow"))),
    AuthCase("jwt-client-id-too-long", lambda keys: _bearer(keys.token(client_id="c" * 300))),
    AuthCase(
        "jwt-client-id-forging-a-log-line",
        lambda keys: _bearer(keys.token(client_id="bank" + FORGED_LINE)),
    ),
    AuthCase(
        "jwt-without-write-scope",
        lambda keys: _bearer(keys.token(scope="applications:read")),
        status=403,
        error="insufficient_scope",
    ),
    AuthCase(
        "jwt-scope-not-a-string",
        lambda keys: _bearer(keys.token(scope={"applications:write": True})),
        status=403,
        error="insufficient_scope",
    ),
)


@pytest.mark.parametrize("case", AUTH_CASES, ids=[case.id for case in AUTH_CASES])
def test_refused_credentials_write_nothing(
    abuse_api: AbuseApi, abuse_logs: LogTap, jwt_keys: JwtKeys, case: AuthCase
) -> None:
    headers: Headers = {"Content-Type": "application/json", **case.headers(jwt_keys)}
    before = abuse_api.written()
    mark = abuse_logs.mark()
    response = abuse_api.client.post(
        "/v1/applications", content=HTTP_APPLICANT.body(), headers=headers
    )
    assert_problem(response, case.status)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="prescreen"'), challenge
    if case.error is None:
        assert "error=" not in challenge
    else:
        assert f'error="{case.error}"' in challenge
    for name, value in headers.items():
        if name != "Content-Type" and len(value) > 8:
            credential = value if isinstance(value, str) else value.decode("latin-1")
            assert credential.split(" ")[-1] not in response.text + challenge
    assert_nothing_written(abuse_api, before)
    assert_clean_log(abuse_logs.lines_since(mark))


@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
def test_a_valid_token_is_accepted(abuse_api: AbuseApi, jwt_keys: JwtKeys, algorithm: str) -> None:
    """The control case: the same request with a good token gets through."""
    key = jwt_keys.trusted if algorithm == "RS256" else HS256_SECRET
    response = abuse_api.client.post(
        "/v1/applications",
        content=HTTP_APPLICANT.body(),
        headers={
            "Content-Type": "application/json",
            **_bearer(jwt_keys.token(key=key, algorithm=algorithm)),
        },
    )
    assert response.status_code == 202, response.text


def test_another_clients_application_is_indistinguishable_from_none(
    abuse_api: AbuseApi, jwt_keys: JwtKeys
) -> None:
    http = abuse_api.client
    created = http.post(
        "/v1/applications", content=HTTP_APPLICANT.body(), headers=api_key("bank-a")
    )
    assert created.status_code == 202, created.text
    url = created.json()["status_url"]
    missing_url = f"/v1/applications/{uuid.uuid4()}"
    assert http.get(url, headers=api_key("bank-a")).status_code == 200

    for intruder in (api_key("bank-b"), _bearer(jwt_keys.token())):
        theirs = http.get(url, headers=intruder)
        nobodys = http.get(missing_url, headers=intruder)
        assert_problem(theirs, 404)
        assert (theirs.status_code, theirs.content) == (nobodys.status_code, nobodys.content)
        waited = http.get(f"{url}?wait=1&after_version=0", headers=intruder)
        assert (waited.status_code, waited.content) == (404, nobodys.content)
        before = abuse_api.written()
        upload = http.post(
            f"{url}/documents",
            headers=intruder,
            files={"files": ("w2.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        )
        assert_problem(upload, 404)
        link = http.post(
            f"{url}/documents/upload-url",
            json={"sha256": "a" * 64, "content_type": "application/pdf", "size": 10},
            headers=intruder,
        )
        assert_problem(link, 404)
        assert_nothing_written(abuse_api, before)


ODD_IDS = {
    "encoded-path-traversal": ("..%2F..%2F..%2Fetc%2Fpasswd", 404),
    "double-encoded-traversal": ("%252e%252e%252fetc%252fpasswd", 404),
    "dot-dot": ("..", 404),
    "nul-byte": ("%00", 422),
    "crlf-header-injection": ("%0d%0aX-Injected:%20yes", 422),
    "log-forging-newline": ("%0a%7B%22message%22%3A%22FORGED-LOG-LINE-7c1e%22%7D", 422),
    "sql-injection": ("1%27%20OR%20%271%27%3D%271", 422),
    "template": ("%7B%7B7*7%7D%7D", 422),
    "very-long": ("a" * 8_000, 422),
    "unicode-digits": ("%D9%A1" * 32, 422),
    "uuid-with-trailing-junk": (f"{uuid.UUID(int=1)}.json", 422),
    "uuid-nil": (str(uuid.UUID(int=0)), 404),
}


@pytest.mark.parametrize(("raw", "status"), ODD_IDS.values(), ids=ODD_IDS.keys())
def test_odd_application_ids(
    abuse_api: AbuseApi, abuse_logs: LogTap, raw: str, status: int
) -> None:
    mark = abuse_logs.mark()
    before = abuse_api.written()
    response = abuse_api.client.get(f"/v1/applications/{raw}", headers=api_key("bank-a"))
    problem = assert_problem(response, status)
    if status == 422:
        assert [(e["location"], e["path"]) for e in problem["errors"]] == [
            ("path", "application_id")
        ]
    upload = abuse_api.client.post(
        f"/v1/applications/{raw}/documents",
        headers=api_key("bank-a"),
        files={"files": ("w2.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    assert_problem(upload, status)
    assert_nothing_written(abuse_api, before)
    assert_clean_log(abuse_logs.lines_since(mark))
