"""Bearer JWTs and API keys: what is accepted, what is refused and what the refusal says."""

from __future__ import annotations

import time

import jwt
import pytest

from services.common.http import (
    Authenticator,
    AuthError,
    AuthMethod,
    Principal,
)
from tests.unit.http.support import (
    API_KEY_A,
    API_KEY_B,
    AUDIENCE,
    HS256_SECRET,
    ISSUER,
    Keys,
    auth_settings,
    mint,
)


@pytest.fixture(scope="module")
def authenticator(keys: Keys) -> Authenticator:
    return Authenticator(auth_settings(keys))


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(authenticator: Authenticator, token: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(bearer(token), None)
    assert token not in caught.value.reason
    return caught.value


def test_rs256_token_is_accepted(authenticator: Authenticator, keys: Keys) -> None:
    principal = authenticator.authenticate(bearer(mint(keys.rsa, "RS256")), None)
    assert principal == Principal(
        client_id="client-a",
        scopes=frozenset({"applications:write", "applications:read"}),
        method=AuthMethod.JWT,
        subject="client-a",
    )


def test_es256_token_is_accepted(authenticator: Authenticator, keys: Keys) -> None:
    principal = authenticator.authenticate(bearer(mint(keys.ec, "ES256")), None)
    assert principal.client_id == "client-a"


def test_client_credentials_token_uses_client_id_claim(
    authenticator: Authenticator, keys: Keys
) -> None:
    token = mint(keys.rsa, "RS256", sub="service-account-7", azp="bank-x", client_id="bank-y")
    principal = authenticator.authenticate(bearer(token), None)
    assert principal.client_id == "bank-y"
    assert principal.subject == "service-account-7"
    token = mint(keys.rsa, "RS256", sub="service-account-7", azp="bank-x")
    assert authenticator.authenticate(bearer(token), None).client_id == "bank-x"


def test_scp_list_claim_gives_scopes(authenticator: Authenticator, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", scope=None, scp=["documents:write"])
    assert authenticator.verify_token(token).scopes == frozenset({"documents:write"})


def test_expired_token(authenticator: Authenticator, keys: Keys) -> None:
    now = int(time.time())
    token = mint(keys.rsa, "RS256", iat=now - 3600, nbf=now - 3600, exp=now - 600)
    error = refusal(authenticator, token)
    assert error.reason == "token expired"
    assert error.error == "invalid_token"


def test_leeway_tolerates_small_skew(authenticator: Authenticator, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", exp=int(time.time()) - 5)
    assert authenticator.verify_token(token).client_id == "client-a"


def test_token_not_yet_valid(authenticator: Authenticator, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", nbf=int(time.time()) + 3600)
    assert refusal(authenticator, token).reason == "token not yet valid"


def test_wrong_audience(authenticator: Authenticator, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", aud="another-api")
    assert refusal(authenticator, token).reason == "token audience not accepted"


def test_wrong_issuer(authenticator: Authenticator, keys: Keys) -> None:
    token = mint(keys.rsa, "RS256", iss="https://evil.test")
    assert refusal(authenticator, token).reason == "token issuer not accepted"


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud"])
def test_required_claims(authenticator: Authenticator, keys: Keys, claim: str) -> None:
    token = mint(keys.rsa, "RS256", **{claim: None})
    assert refusal(authenticator, token).reason == f"token lacks the {claim} claim"


def test_bad_signature(authenticator: Authenticator, keys: Keys) -> None:
    forged = mint(keys.other_rsa, "RS256")
    assert refusal(authenticator, forged).reason == "invalid token signature"
    header, _payload, signature = mint(keys.rsa, "RS256").split(".")
    tampered_payload = mint(keys.rsa, "RS256", sub="client-b").split(".")[1]
    tampered = f"{header}.{tampered_payload}.{signature}"
    assert refusal(authenticator, tampered).reason == "invalid token signature"


def test_hs256_refused_unless_configured(authenticator: Authenticator) -> None:
    token = mint(HS256_SECRET, "HS256")
    assert refusal(authenticator, token).reason == "unsupported token algorithm"


def test_alg_none_refused(authenticator: Authenticator) -> None:
    token = jwt.encode({"sub": "client-a", "iss": ISSUER, "aud": AUDIENCE}, "", algorithm="none")
    assert refusal(authenticator, token).reason == "unsupported token algorithm"


def test_hs256_with_shared_secret(keys: Keys) -> None:
    authenticator = Authenticator(
        auth_settings(
            keys,
            jwt_public_keys=None,
            jwt_algorithms=("HS256",),
            jwt_hs256_secret=HS256_SECRET,
        )
    )
    assert authenticator.verify_token(mint(HS256_SECRET, "HS256")).client_id == "client-a"
    wrong = mint("another-secret-of-sufficient-length-000000", "HS256")
    assert refusal(authenticator, wrong).reason == "invalid token signature"
    # An RS256 token is refused: only HS256 is accepted by this configuration.
    assert refusal(authenticator, mint(keys.rsa, "RS256")).reason == "unsupported token algorithm"


def test_jwks_selects_key_by_kid(keys: Keys) -> None:
    authenticator = Authenticator(auth_settings(keys, jwt_public_keys=None, jwt_jwks=keys.jwks()))
    assert authenticator.verify_token(mint(keys.rsa, "RS256", kid="rsa-1")).client_id == "client-a"
    assert authenticator.verify_token(mint(keys.ec, "ES256", kid="ec-1")).client_id == "client-a"
    assert authenticator.verify_token(mint(keys.rsa, "RS256")).client_id == "client-a"
    forged = mint(keys.other_rsa, "RS256", kid="rsa-1")
    assert refusal(authenticator, forged).reason == "invalid token signature"


def test_malformed_tokens(authenticator: Authenticator) -> None:
    assert refusal(authenticator, "not-a-jwt").reason == "malformed token"
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate("Basic dXNlcjpwYXNz", None)
    assert caught.value.error == "invalid_request"


def test_token_without_client_identity(keys: Keys) -> None:
    authenticator = Authenticator(auth_settings(keys, jwt_client_id_claims=("client_id",)))
    assert refusal(authenticator, mint(keys.rsa, "RS256")).reason == "token names no client"


def test_api_keys(authenticator: Authenticator) -> None:
    a = authenticator.authenticate(None, API_KEY_A)
    assert a == Principal("client-a", frozenset({"applications:write"}), AuthMethod.API_KEY)
    b = authenticator.authenticate(None, API_KEY_B)
    assert b.client_id == "client-b"
    assert b.scopes == frozenset({"applications:write", "applications:read"})


@pytest.mark.parametrize("presented", ["wrong", API_KEY_A[:-1], API_KEY_A + "x", " ", "x" * 9000])
def test_bad_api_key(authenticator: Authenticator, presented: str) -> None:
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(None, presented)
    assert caught.value.reason == "invalid API key"


def test_missing_and_ambiguous_credentials(authenticator: Authenticator, keys: Keys) -> None:
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(None, None)
    assert caught.value.reason == "missing credentials"
    assert caught.value.error is None
    with pytest.raises(AuthError) as caught:
        authenticator.authenticate(bearer(mint(keys.rsa, "RS256")), API_KEY_A)
    assert caught.value.error == "invalid_request"


def test_bearer_refused_when_only_api_keys_configured(keys: Keys) -> None:
    authenticator = Authenticator(
        auth_settings(keys, jwt_public_keys=None, jwt_issuer=None, jwt_audience=None)
    )
    assert authenticator.authenticate(None, API_KEY_A).client_id == "client-a"
    assert refusal(authenticator, mint(keys.rsa, "RS256")).reason == (
        "bearer tokens are not accepted here"
    )
