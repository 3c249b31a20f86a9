"""Authentication settings: read under the service's prefix, no secret defaults, no placeholders."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from services.common.http import (
    Authenticator,
    AuthSettings,
    IdempotencySettings,
    RateLimitSettings,
    api_key_hash,
    auth_settings_for,
    idempotency_settings_for,
    rate_limit_settings_for,
)
from tests.unit.http.support import HS256_SECRET, ISSUER, Keys, api_keys, auth_settings


def test_read_under_service_prefix(monkeypatch: pytest.MonkeyPatch, keys: Keys) -> None:
    monkeypatch.setenv("PRESCREEN_TESTSVC_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("PRESCREEN_TESTSVC_JWT_AUDIENCE", "aud")
    monkeypatch.setenv("PRESCREEN_TESTSVC_JWT_ALGORITHMS", "RS256, ES256")
    monkeypatch.setenv("PRESCREEN_TESTSVC_JWT_PUBLIC_KEYS", keys.public_pems)
    monkeypatch.setenv("PRESCREEN_TESTSVC_API_KEYS", json.dumps(api_keys()))
    monkeypatch.setenv("PRESCREEN_TESTSVC_RATE_LIMIT_PER_S", "7")
    monkeypatch.setenv(
        "PRESCREEN_TESTSVC_RATE_LIMIT_OVERRIDES", '{"client-a": {"per_s": 1, "burst": 2}}'
    )
    monkeypatch.setenv("PRESCREEN_TESTSVC_IDEMPOTENCY_TTL_S", "3600")
    monkeypatch.setenv("JWT_ISSUER", "https://bare-name-is-ignored.test")

    settings = auth_settings_for("PRESCREEN_TESTSVC_")
    assert settings.jwt_issuer == ISSUER
    assert settings.jwt_algorithms == ("RS256", "ES256")
    assert set(settings.api_keys) == {"client-a", "client-b"}
    assert Authenticator(settings).settings is settings

    limits = rate_limit_settings_for("PRESCREEN_TESTSVC_")
    assert limits.rate_limit_per_s == 7
    assert limits.rate_limit_overrides["client-a"].burst == 2
    assert limits.rate_limit_on_redis_error == "closed"
    assert idempotency_settings_for("PRESCREEN_TESTSVC_").idempotency_ttl_s == 3600
    assert RateLimitSettings().rate_limit_per_s == 50
    assert IdempotencySettings().idempotency_ttl_s == 24 * 3600


def test_nothing_configured_is_refused() -> None:
    with pytest.raises(ValidationError, match="no credentials configured"):
        AuthSettings()


def test_jwt_needs_issuer_and_audience(keys: Keys) -> None:
    with pytest.raises(ValidationError, match="jwt_issuer and jwt_audience"):
        auth_settings(keys, jwt_audience=None)


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-secret"])
def test_weak_hs256_secret_is_refused(keys: Keys, secret: str) -> None:
    with pytest.raises(ValidationError):
        auth_settings(keys, jwt_algorithms=("RS256", "HS256"), jwt_hs256_secret=secret)


def test_hs256_must_be_listed_and_keyed(keys: Keys) -> None:
    with pytest.raises(ValidationError, match="HS256 is not in jwt_algorithms"):
        auth_settings(keys, jwt_hs256_secret=HS256_SECRET)
    with pytest.raises(ValidationError, match="jwt_hs256_secret is not set"):
        auth_settings(keys, jwt_algorithms=("HS256",))


def test_secret_is_not_in_repr(keys: Keys) -> None:
    settings = auth_settings(keys, jwt_algorithms=("RS256", "HS256"), jwt_hs256_secret=HS256_SECRET)
    assert HS256_SECRET not in repr(settings)


@pytest.mark.parametrize(
    "entry",
    [
        {"sha256": "not-hex", "scopes": []},
        {"sha256": api_key_hash(""), "scopes": []},
        {"sha256": [], "scopes": []},
        {"sha256": api_key_hash("k" * 40), "scopes": ["has space"]},
        {"sha256": api_key_hash("k" * 40), "scopes": [], "plaintext": "k" * 40},
    ],
)
def test_bad_api_key_entries(keys: Keys, entry: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        auth_settings(keys, api_keys={"client-a": entry})


def test_same_hash_twice_is_refused(keys: Keys) -> None:
    digest = api_key_hash("k" * 40)
    with pytest.raises(ValidationError, match="twice"):
        auth_settings(
            keys,
            api_keys={"a": {"sha256": digest}, "b": {"sha256": digest}},
        )


def test_unusable_keys_fail_at_start(keys: Keys) -> None:
    with pytest.raises(ValueError, match="no PEM public key"):
        Authenticator(auth_settings(keys, jwt_public_keys="garbage"))
    with pytest.raises(ValueError, match="JWKS"):
        Authenticator(auth_settings(keys, jwt_public_keys=None, jwt_jwks="{not json"))
