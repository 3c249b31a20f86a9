"""Authentication settings of an HTTP service, read under the service's own prefix.

``auth_settings_for("PRESCREEN_INGEST_")`` reads ``PRESCREEN_INGEST_JWT_ISSUER`` and so on, so two
services on one host never share credentials. Constructed without a prefix, the class reads
``PRESCREEN_HTTP_*``, never bare names such as ``JWT_ISSUER``.

JWTs (OAuth2 bearer access tokens) are verified with, in order of preference:

* ``JWT_JWKS``: a JWKS JSON document given inline (``{"keys": [...]}``) — RS256 and ES256 keys,
  chosen by the token's ``kid``;
* ``JWT_PUBLIC_KEYS``: one or more PEM public keys (RSA or EC P-256), concatenated;
* ``JWT_HS256_SECRET``: a shared secret, **for development only**: anyone holding it can mint
  tokens. It must be listed in ``JWT_ALGORITHMS`` explicitly and be at least 32 characters.

When any of them is set, ``JWT_ISSUER`` and ``JWT_AUDIENCE`` are required. Service clients may
instead send an API key; ``API_KEYS`` maps each client id to the SHA-256 (hex) of its key (or a
list of them, to rotate) and its scopes. Keys themselves are never configured. There are no
defaults for secrets, and a service with neither JWT keys nor API keys refuses to start.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.common.settings import reject_placeholder, split_list

JwtAlgorithm = Literal["RS256", "ES256", "HS256"]

DEFAULT_ENV_PREFIX = "PRESCREEN_HTTP_"
HS256_MIN_SECRET_LENGTH = 32

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,128}$")  # RFC 6749 scope-token
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class ApiKeyClient(BaseModel):
    """One service client allowed to authenticate with an API key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: tuple[str, ...] = Field(
        min_length=1, description="SHA-256 hex of the key; several during a rotation."
    )
    scopes: frozenset[str] = frozenset()

    @field_validator("sha256", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("sha256")
    @classmethod
    def _hex_digests(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        digests = tuple(digest.strip().lower() for digest in value)
        for digest in digests:
            if not _SHA256_HEX.fullmatch(digest):
                raise ValueError("must be the 64-character hex SHA-256 of the key")
            if digest == _EMPTY_SHA256:
                raise ValueError("is the SHA-256 of an empty key")
        return digests

    @field_validator("scopes")
    @classmethod
    def _scope_tokens(cls, value: frozenset[str]) -> frozenset[str]:
        for scope in value:
            if not _SCOPE.fullmatch(scope):
                raise ValueError("scopes are single tokens without spaces or quotes")
        return value


class AuthSettings(BaseSettings):
    """How an HTTP service verifies bearer JWTs and API keys."""

    model_config = SettingsConfigDict(env_prefix=DEFAULT_ENV_PREFIX, extra="ignore", frozen=True)

    jwt_issuer: str | None = Field(default=None, description="Required `iss` of every token.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of every token.")
    jwt_algorithms: Annotated[tuple[JwtAlgorithm, ...], NoDecode] = Field(
        default=("RS256", "ES256"),
        min_length=1,
        description="Accepted `alg` values (comma-separated or a JSON list).",
    )
    jwt_jwks: str | None = Field(default=None, description="A JWKS JSON document, inline.")
    jwt_public_keys: str | None = Field(
        default=None, description="One or more PEM public keys (RSA or EC P-256), concatenated."
    )
    jwt_hs256_secret: SecretStr | None = Field(
        default=None, description="Shared HS256 secret; development only."
    )
    jwt_leeway_s: float = Field(
        default=30.0, ge=0, le=300, description="Clock skew tolerated on exp, nbf and iat."
    )
    jwt_client_id_claims: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("client_id", "azp", "sub"),
        min_length=1,
        description="Claims naming the calling client, first present wins.",
    )
    api_keys: dict[str, ApiKeyClient] = Field(
        default_factory=dict,
        description='JSON: {"client-id": {"sha256": "<hex>", "scopes": ["applications:write"]}}',
    )
    realm: str = Field(default="prescreen", pattern=r"^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$")

    _split = field_validator("jwt_algorithms", "jwt_client_id_claims", mode="before")(split_list)
    _check_secret = field_validator("jwt_hs256_secret")(reject_placeholder)

    @field_validator("jwt_hs256_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < HS256_MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {HS256_MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("jwt_jwks", "jwt_public_keys", "jwt_issuer", "jwt_audience")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value if value is None or value.strip() else None

    @field_validator("api_keys")
    @classmethod
    def _client_ids(cls, value: dict[str, ApiKeyClient]) -> dict[str, ApiKeyClient]:
        for client_id in value:
            if not _CLIENT_ID.fullmatch(client_id):
                raise ValueError("client ids are 1-128 visible ASCII characters")
        digests = [digest for client in value.values() for digest in client.sha256]
        if len(digests) != len(set(digests)):
            raise ValueError("the same API key hash is configured twice")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> AuthSettings:
        if self.jwt_hs256_secret is not None and "HS256" not in self.jwt_algorithms:
            raise ValueError("jwt_hs256_secret is set but HS256 is not in jwt_algorithms")
        if "HS256" in self.jwt_algorithms and self.jwt_hs256_secret is None:
            raise ValueError("HS256 is in jwt_algorithms but jwt_hs256_secret is not set")
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("jwt_issuer and jwt_audience are required to verify JWTs")
        if not self.jwt_enabled and not self.api_keys:
            raise ValueError("no credentials configured: set jwt_jwks, jwt_public_keys or api_keys")
        return self

    @property
    def jwt_enabled(self) -> bool:
        """Whether bearer JWTs can be verified at all."""
        return bool(self.jwt_jwks or self.jwt_public_keys or self.jwt_hs256_secret)


def auth_settings_for(env_prefix: str, **values: Any) -> AuthSettings:
    """``AuthSettings`` read under a service's prefix, e.g. ``PRESCREEN_INGEST_``."""
    return AuthSettings(_env_prefix=env_prefix, **values)


def api_key_hash(api_key: str) -> str:
    """The SHA-256 hex of an API key, as configured in ``API_KEYS``."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()
