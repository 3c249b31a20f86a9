"""Who is calling: bearer JWTs and API keys, and the FastAPI dependencies that require them.

A request authenticates with exactly one of

* ``Authorization: Bearer <JWT>`` — signature (RS256/ES256 public keys or a JWKS; HS256 only
  when configured, for development), ``exp``, ``iat``, ``iss`` and ``aud`` required, ``nbf``
  checked when present, with the configured leeway;
* ``X-API-Key: <key>`` — its SHA-256 is compared in constant time with every configured hash.

Sending both is refused rather than guessing which one counts.

The ``Principal.client_id`` of a JWT is the first of ``client_id`` (RFC 9068), ``azp``
(OpenID Connect / Keycloak / Auth0) and ``sub`` that the token carries (configurable as
``JWT_CLIENT_ID_CLAIMS``): for a client-credentials token this is the calling system, which
owns the applications it submits. ``sub`` is kept as ``Principal.subject`` for audit. Scopes
come from ``scope`` (space-separated, RFC 9068) or ``scp`` (a list or a string).

Failures raise ``AuthError``; the dependencies turn it into ``401`` with a
``WWW-Authenticate: Bearer`` challenge and a short reason that never contains the credential.
An authenticated caller without a required scope gets ``403`` (``insufficient_scope``).

Usage::

    app = FastAPI()
    install_error_handlers(app)
    install_auth(app, Authenticator(auth_settings_for("PRESCREEN_INGEST_")))

    Writer = Annotated[Principal, Depends(require_scopes("applications:write"))]

    @app.post("/v1/applications")
    async def submit(caller: Writer) -> ...: ...
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer

from services.common.http.auth_settings import AuthSettings, api_key_hash
from services.common.http.errors import FORBIDDEN, UNAUTHORIZED, ProblemError

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
STATE_ATTRIBUTE = "prescreen_authenticator"

SCOPE_APPLICATIONS_WRITE = "applications:write"
SCOPE_APPLICATIONS_READ = "applications:read"
SCOPE_DOCUMENTS_WRITE = "documents:write"
SCOPE_QUOTES_READ = "quotes:read"

_MAX_CREDENTIAL_LENGTH = 8192
_PEM_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]*PUBLIC KEY-----.+?-----END [A-Z ]*PUBLIC KEY-----", re.DOTALL
)
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]
# A client id from a token obeys the rule of configured (API key) client ids: it keys rate
# limits, idempotency claims and ownership records, and it is logged.
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,128}$")

PublicKey = RSAPublicKey | EllipticCurvePublicKey


class AuthMethod(StrEnum):
    """How a principal proved who it is."""

    JWT = "jwt"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``client_id`` is the calling system (see the module docstring for where it comes from) and
    is what rate limits, idempotency keys and object ownership are keyed on.
    """

    client_id: str
    scopes: frozenset[str]
    method: AuthMethod
    subject: str | None = None

    def has_scopes(self, *required: str) -> bool:
        """Whether every one of ``required`` was granted."""
        return self.scopes.issuperset(required)


class AuthError(Exception):
    """Authentication failed; ``reason`` is short and safe to return to the caller.

    ``error`` is the RFC 6750 error code (``invalid_token``, ``invalid_request``), or None when
    no credentials were sent at all (the challenge then carries no error).
    """

    def __init__(self, reason: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


@dataclass(frozen=True, slots=True)
class _VerificationKey:
    key: PublicKey
    kid: str | None
    algorithm: str


class Authenticator:
    """Verifies the credentials of a request against ``AuthSettings``.

    Keys are parsed once, here: a bad PEM or JWKS fails at start-up, not on the first request.
    """

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._algorithms = frozenset(settings.jwt_algorithms)
        self._keys = _load_keys(settings)
        self._hs256_secret = (
            settings.jwt_hs256_secret.get_secret_value().encode()
            if settings.jwt_hs256_secret is not None
            else None
        )
        if settings.jwt_enabled and not self._keys and self._hs256_secret is None:
            raise ValueError("none of the configured JWT keys suits jwt_algorithms")
        self._api_keys: list[tuple[bytes, str]] = [
            (bytes.fromhex(digest), client_id)
            for client_id, client in sorted(settings.api_keys.items())
            for digest in client.sha256
        ]
        self._api_scopes = {
            client_id: client.scopes for client_id, client in settings.api_keys.items()
        }

    @property
    def settings(self) -> AuthSettings:
        return self._settings

    def authenticate(
        self, authorization_header: str | None, api_key_header: str | None
    ) -> Principal:
        """The principal of a request's ``Authorization`` / ``X-API-Key`` headers."""
        if authorization_header and api_key_header:
            raise AuthError(
                "send either a bearer token or an API key, not both", error="invalid_request"
            )
        if authorization_header:
            return self.verify_token(_bearer_token(authorization_header))
        if api_key_header:
            return self.verify_api_key(api_key_header)
        raise AuthError("missing credentials", error=None)

    def verify_api_key(self, api_key: str) -> Principal:
        """The client whose configured hash matches ``api_key`` (constant time over all keys)."""
        key = api_key.strip()
        if not key or len(key) > _MAX_CREDENTIAL_LENGTH or not self._api_keys:
            raise AuthError("invalid API key")
        presented = bytes.fromhex(api_key_hash(key))
        matched: str | None = None
        for digest, client_id in self._api_keys:
            # No early exit: every stored hash is compared, whichever one matches.
            if hmac.compare_digest(presented, digest):
                matched = client_id
        if matched is None:
            raise AuthError("invalid API key")
        return Principal(
            client_id=matched, scopes=self._api_scopes[matched], method=AuthMethod.API_KEY
        )

    def verify_token(self, token: str) -> Principal:
        """The principal of a bearer JWT, after every check in the module docstring."""
        if not self._settings.jwt_enabled:
            raise AuthError("bearer tokens are not accepted here")
        if len(token) > _MAX_CREDENTIAL_LENGTH:
            raise AuthError("malformed token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise AuthError("unsupported token algorithm")
        kid = header.get("kid")
        candidates = self._candidates(algorithm, kid if isinstance(kid, str) else None)
        if not candidates:
            raise AuthError("unknown signing key")
        claims = self._decode(token, algorithm, candidates)
        return self._principal(claims)

    def _candidates(self, algorithm: str, kid: str | None) -> list[PublicKey | bytes]:
        if algorithm == "HS256":
            return [self._hs256_secret] if self._hs256_secret is not None else []
        suitable = [key for key in self._keys if key.algorithm == algorithm]
        if kid is not None:
            named = [key for key in suitable if key.kid == kid]
            if named:
                return [key.key for key in named]
            suitable = [key for key in suitable if key.kid is None]
        return [key.key for key in suitable]

    def _decode(
        self, token: str, algorithm: str, candidates: list[PublicKey | bytes]
    ) -> dict[str, Any]:
        settings = self._settings
        for key in candidates:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=settings.jwt_audience,
                    issuer=settings.jwt_issuer,
                    leeway=settings.jwt_leeway_s,
                    options={"require": _REQUIRED_CLAIMS, "verify_signature": True},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise AuthError(_reason(exc)) from None
            return claims
        raise AuthError("invalid token signature")

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        client_id = next(
            (
                value
                for name in self._settings.jwt_client_id_claims
                if isinstance(value := claims.get(name), str) and value
            ),
            None,
        )
        if client_id is None:
            raise AuthError("token names no client")
        if not _CLIENT_ID.fullmatch(client_id):
            raise AuthError("token client id is not 1-128 visible ASCII characters")
        subject = claims.get("sub")
        return Principal(
            client_id=client_id,
            scopes=_token_scopes(claims),
            method=AuthMethod.JWT,
            subject=subject if isinstance(subject, str) else None,
        )


def _reason(exc: jwt.PyJWTError) -> str:
    """A short reason for a JWT failure; PyJWT's own messages are not returned."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "token expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "token not yet valid"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "token audience not accepted"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "token issuer not accepted"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the {exc.claim} claim"
    if isinstance(exc, jwt.InvalidIssuedAtError):
        return "token issued-at time is invalid"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "unsupported token algorithm"
    return "invalid token"


def _token_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list):
            scopes.update(item for item in value if isinstance(item, str))
    return frozenset(scopes)


def _bearer_token(authorization: str) -> str:
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthError("expected a Bearer token", error="invalid_request")
    return token


def _load_keys(settings: AuthSettings) -> list[_VerificationKey]:
    accepted = set(settings.jwt_algorithms)
    keys: list[_VerificationKey] = []
    if settings.jwt_public_keys:
        blocks = _PEM_BLOCK.findall(settings.jwt_public_keys)
        if not blocks:
            raise ValueError("jwt_public_keys holds no PEM public key")
        for block in blocks:
            loaded = _verification_key(load_pem_public_key(block.encode()), None)
            if loaded is None:
                raise ValueError("jwt_public_keys: only RSA and EC P-256 public keys are accepted")
            if loaded.algorithm in accepted:
                keys.append(loaded)
    if settings.jwt_jwks:
        try:
            document = json.loads(settings.jwt_jwks)
            jwks = jwt.PyJWKSet.from_dict(document)
        except (ValueError, jwt.PyJWTError) as exc:
            reason = type(exc).__name__
            raise ValueError(f"jwt_jwks is not a usable JWKS document ({reason})") from None
        for jwk in jwks.keys:
            if jwk.public_key_use not in (None, "sig"):
                continue
            loaded = _verification_key(jwk.key, jwk.key_id)
            if loaded is None or loaded.algorithm not in accepted:
                continue
            if jwk.algorithm_name != loaded.algorithm:
                continue
            keys.append(loaded)
    return keys


def _algorithm_of(key: object) -> str | None:
    if isinstance(key, RSAPublicKey):
        return "RS256"
    if isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1):
        return "ES256"
    return None


def _verification_key(key: object, kid: str | None) -> _VerificationKey | None:
    algorithm = _algorithm_of(key)
    if algorithm is None or not isinstance(key, RSAPublicKey | EllipticCurvePublicKey):
        return None
    return _VerificationKey(key, kid, algorithm)


# --- FastAPI integration ---------------------------------------------------------------------

# Declared for the OpenAPI document (security schemes); the raw headers are read directly.
_bearer_scheme = HTTPBearer(auto_error=False, bearerFormat="JWT")
_api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def install_auth(app: FastAPI, authenticator: Authenticator) -> None:
    """Make ``authenticator`` the one the dependencies of ``app`` use."""
    setattr(app.state, STATE_ATTRIBUTE, authenticator)


async def get_authenticator(request: Request) -> Authenticator:
    """The app's ``Authenticator`` (override in tests with ``app.dependency_overrides``)."""
    authenticator = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(authenticator, Authenticator):
        raise RuntimeError("install_auth(app, authenticator) was not called")
    return authenticator


def unauthorized(error: AuthError, realm: str = "prescreen") -> ProblemError:
    """The ``401`` for a failed authentication, with its ``WWW-Authenticate`` challenge."""
    challenge = f'Bearer realm="{realm}"'
    if error.error is not None:
        challenge += f', error="{error.error}", error_description="{error.reason}"'
    return ProblemError(
        401,
        error.reason,
        title="Authentication required",
        type_=UNAUTHORIZED,
        headers={"WWW-Authenticate": challenge},
    )


async def authenticated(
    request: Request,
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    _bearer: Annotated[object, Security(_bearer_scheme)] = None,
    _api_key: Annotated[object, Security(_api_key_scheme)] = None,
) -> Principal:
    """Dependency: the caller's ``Principal``, or ``401``. Cached per request by FastAPI."""
    try:
        principal = authenticator.authenticate(
            request.headers.get("authorization"), request.headers.get(API_KEY_HEADER)
        )
    except AuthError as exc:
        log.info("authentication refused: %s", exc.reason)
        raise unauthorized(exc, authenticator.settings.realm) from None
    request.state.principal = principal
    return principal


Authenticated = Annotated[Principal, Depends(authenticated)]


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller's ``Principal`` if it holds every one of ``scopes``.

    ``401`` when not authenticated, ``403`` (``insufficient_scope``) when authenticated without
    a required scope.
    """
    required = frozenset(scopes)
    scope_list = " ".join(sorted(required))

    async def dependency(principal: Authenticated, request: Request) -> Principal:
        if not principal.scopes.issuperset(required):
            realm = (await get_authenticator(request)).settings.realm
            raise ProblemError(
                403,
                f"requires scope {scope_list}",
                title="Insufficient scope",
                type_=FORBIDDEN,
                headers={
                    "WWW-Authenticate": (
                        f'Bearer realm="{realm}", error="insufficient_scope", scope="{scope_list}"'
                    )
                },
            )
        return principal

    dependency.__name__ = f"require_scopes_{'_'.join(sorted(required)) or 'none'}"
    return dependency
