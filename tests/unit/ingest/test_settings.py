from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from services.ingest.intake import IntakeConfig
from services.ingest.settings import IngestSettings
from tests.unit.contracts import samples

TOKEN_KEY = "t" * 40
PII_KEYS = json.dumps(samples.PII_KEYS_B64)


def env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"PRESCREEN_INGEST_{name.upper()}", value)


def test_reads_the_documented_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env(
        monkeypatch,
        ssn_token_key=TOKEN_KEY,
        ssn_token_key_id="t2",
        pii_keys=PII_KEYS,
        pii_active_key_id=samples.PII_KEY_ID,
        max_body_bytes="4096",
    )
    settings = IngestSettings()
    assert settings.token_key == TOKEN_KEY.encode()
    assert settings.ssn_token_key_id == "t2"
    assert (
        settings.pii_keys[samples.PII_KEY_ID].get_secret_value()
        == (samples.PII_KEYS_B64[samples.PII_KEY_ID])
    )
    assert settings.max_body_bytes == 4096
    assert TOKEN_KEY not in repr(settings)
    config = IntakeConfig.from_settings(settings)
    assert config.protector.cipher.active_key_id == samples.PII_KEY_ID


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    env(monkeypatch, ssn_token_key=TOKEN_KEY, pii_keys=PII_KEYS, pii_active_key_id="p1")
    settings = IngestSettings()
    assert settings.max_body_bytes == 256 * 1024
    assert settings.ssn_token_key_id == "k1"
    assert settings.input_topic == "loan.applications.submitted.v1"


@pytest.mark.parametrize("missing", ["ssn_token_key", "pii_keys", "pii_active_key_id"])
def test_secrets_have_no_defaults(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    values = {"ssn_token_key": TOKEN_KEY, "pii_keys": PII_KEYS, "pii_active_key_id": "p1"}
    del values[missing]
    env(monkeypatch, **values)
    with pytest.raises(ValidationError) as error:
        IngestSettings()
    assert missing in str(error.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ssn_token_key": "changeme"}, "placeholder"),
        ({"ssn_token_key": "too-short"}, "at least 32 bytes"),
        ({"pii_keys": "{}"}, "at least one key"),
        ({"pii_keys": json.dumps({"p1": "changeme"})}, "placeholder"),
        ({"pii_keys": json.dumps({"p1": "!!not base64!!"})}, "not base64"),
        ({"pii_keys": json.dumps({"p1": base64.b64encode(b"x" * 16).decode()})}, "32 bytes"),
        ({"pii_keys": json.dumps({"p.1": samples.PII_KEYS_B64["p1"]})}, "key id"),
        ({"pii_active_key_id": "p2"}, "not in pii_keys"),
    ],
)
def test_bad_secrets_fail_fast(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str], message: str
) -> None:
    values = {"ssn_token_key": TOKEN_KEY, "pii_keys": PII_KEYS, "pii_active_key_id": "p1"}
    env(monkeypatch, **{**values, **changes})
    with pytest.raises(ValidationError, match=message) as error:
        IngestSettings()
    assert samples.PII_KEYS_B64["p1"] not in str(error.value)
