"""The stack's keys: made once, kept in ``<state>/secrets.json`` (owner-only), never printed.

A local stack needs the same secrets a bank configures (the SSN token key, the PII key ring,
the velocity key, API keys); generating them keeps a developer's machine free of shared
example keys. The demo's API key is the one secret a user needs: ``prescreen status`` shows
where it is, never the key itself.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, SecretStr

from services.common.http.auth_settings import api_key_hash

FILE_NAME: Final = "secrets.json"
PII_KEY_ID: Final = "local-1"
CLIENT_ID: Final = "local-demo"


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


class StackSecrets(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    ssn_token_key: SecretStr
    pii_key: SecretStr
    velocity_key: SecretStr
    dead_letter_seal_key: SecretStr
    api_key: SecretStr
    """The demo client's API key (all scopes): ``X-API-Key`` for ingest, quotes, dashboard."""

    @classmethod
    def generate(cls) -> StackSecrets:
        return cls(
            ssn_token_key=SecretStr(base64.b64encode(secrets.token_bytes(48)).decode()),
            pii_key=SecretStr(_key()),
            velocity_key=SecretStr(_key()),
            dead_letter_seal_key=SecretStr(_key()),
            api_key=SecretStr(secrets.token_urlsafe(32)),
        )

    @classmethod
    def load_or_create(cls, state_dir: Path) -> StackSecrets:
        path = state_dir / FILE_NAME
        if path.exists():
            return cls.model_validate_json(path.read_bytes())
        made = cls.generate()
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(made.reveal_json())
        tmp.replace(path)
        return made

    def reveal_json(self) -> str:
        """The JSON with the values themselves, for the owner-only file only."""
        fields = type(self).model_fields
        return json.dumps({name: getattr(self, name).get_secret_value() for name in fields})

    def api_keys_setting(self, *scopes: str) -> str:
        """An ``API_KEYS`` setting value granting the demo client ``scopes``."""
        digest = api_key_hash(self.api_key.get_secret_value())
        return json.dumps({CLIENT_ID: {"sha256": digest, "scopes": list(scopes)}})
