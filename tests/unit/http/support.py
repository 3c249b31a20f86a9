"""Keys, tokens and settings for the HTTP tests, all generated in the test run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys

from services.common.http import AuthSettings, api_key_hash

ISSUER = "https://issuer.test"
AUDIENCE = "prescreen-ingest"
HS256_SECRET = "test-only-hs256-secret-0123456789abcdef"
API_KEY_A = "ak_live_client_a_4f1d2c3b5a69788796a5b4c3d2e1f0a9"
API_KEY_B = "ak_live_client_b_9a8b7c6d5e4f30211203f4e5d6c7b8a9"


def _public_pem(private_key: rsa_keys.RSAPrivateKey | ec_keys.EllipticCurvePrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass(frozen=True)
class Keys:
    rsa: rsa_keys.RSAPrivateKey
    ec: ec_keys.EllipticCurvePrivateKey
    other_rsa: rsa_keys.RSAPrivateKey  # never configured: signs forged tokens

    @classmethod
    def generate(cls) -> Keys:
        return cls(
            rsa=rsa_keys.generate_private_key(public_exponent=65537, key_size=2048),
            ec=ec_keys.generate_private_key(ec_keys.SECP256R1()),
            other_rsa=rsa_keys.generate_private_key(public_exponent=65537, key_size=2048),
        )

    @property
    def public_pems(self) -> str:
        return _public_pem(self.rsa) + _public_pem(self.ec)

    def jwks(self) -> str:
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
        ec_jwk.update(kid="ec-1", use="sig", alg="ES256")
        return json.dumps({"keys": [rsa_jwk, ec_jwk]})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-a",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "applications:write applications:read",
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def mint(key: Any, algorithm: str, *, kid: str | None = None, **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, algorithm=algorithm, headers=headers)


def api_keys() -> dict[str, dict[str, Any]]:
    return {
        "client-a": {"sha256": api_key_hash(API_KEY_A), "scopes": ["applications:write"]},
        "client-b": {
            "sha256": [api_key_hash(API_KEY_B)],
            "scopes": ["applications:write", "applications:read"],
        },
    }


def auth_settings(keys: Keys, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "jwt_public_keys": keys.public_pems,
        "api_keys": api_keys(),
    }
    values.update(overrides)
    return AuthSettings(**values)
