"""A token's client id must be usable as one: 1-128 visible ASCII characters, like API keys'."""

from __future__ import annotations

import pytest

from services.common.http import Authenticator, AuthError, AuthSettings
from tests.unit.http.support import AUDIENCE, HS256_SECRET, ISSUER, mint


def _authenticator() -> Authenticator:
    return Authenticator(
        AuthSettings(
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            jwt_algorithms=("HS256",),
            jwt_hs256_secret=HS256_SECRET,
        )
    )


@pytest.mark.parametrize(
    "client_id",
    ["c" * 129, "c" * 300, "bank\nforged", "bank a", "bänk", "bank\x00"],
    ids=["129-chars", "300-chars", "newline", "space", "non-ascii", "nul"],
)
def test_an_unusable_client_id_is_refused(client_id: str) -> None:
    token = mint(HS256_SECRET, "HS256", client_id=client_id)
    with pytest.raises(AuthError) as raised:
        _authenticator().verify_token(token)
    assert raised.value.error == "invalid_token"
    assert client_id not in raised.value.reason


def test_the_longest_visible_ascii_client_id_is_accepted() -> None:
    client_id = "c" * 127 + "~"
    principal = _authenticator().verify_token(mint(HS256_SECRET, "HS256", client_id=client_id))
    assert principal.client_id == client_id
