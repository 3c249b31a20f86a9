"""Fraud settings refuse what would make screening meaningless or leak a key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.fraud.settings import FraudSettings

KEY = base64.b64encode(b"k" * 32).decode()


def test_the_lists_and_keys_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WATCHLIST_DIR", "PII_KEYS", "VELOCITY_KEY"):
        monkeypatch.delenv(f"PRESCREEN_FRAUD_{name}", raising=False)
    with pytest.raises(ValidationError) as error:
        FraudSettings()
    missing = {tuple(e["loc"]) for e in error.value.errors()}
    assert {("watchlist_dir",), ("pii_keys",), ("velocity_key",)} <= missing


def test_a_bad_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as error:
        FraudSettings(watchlist_dir=tmp_path, pii_keys={"p1": "c2hvcnQ="}, velocity_key=KEY)
    assert "p1" in str(error.value) and "c2hvcnQ=" not in str(error.value)


def test_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_FRAUD_WATCHLIST_DIR", str(tmp_path))
    monkeypatch.setenv("PRESCREEN_FRAUD_PII_KEYS", f'{{"p1": "{KEY}"}}')
    monkeypatch.setenv("PRESCREEN_FRAUD_VELOCITY_KEY", KEY)
    settings = FraudSettings()
    assert settings.velocity_key_bytes() == b"k" * 32
    assert settings.cipher().key_ids == frozenset({"p1"})
    assert settings.input_topic == "loan.applications.documents-verified.v1"
