"""Documents settings: keys required and never echoed, Textract only with a sealing key."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from services.documents.settings import DocumentsSettings

KEY = base64.b64encode(b"k" * 32).decode()


def test_the_keys_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESCREEN_DOCUMENTS_PII_KEYS", raising=False)
    with pytest.raises(ValidationError) as error:
        DocumentsSettings()
    assert ("pii_keys",) in {tuple(e["loc"]) for e in error.value.errors()}


def test_a_bad_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as error:
        DocumentsSettings(pii_keys={"p1": "c2hvcnQ="})
    assert "p1" in str(error.value) and "c2hvcnQ=" not in str(error.value)


def test_textract_needs_a_key_to_seal_what_it_keeps() -> None:
    with pytest.raises(ValidationError, match="PII_ACTIVE_KEY_ID"):
        DocumentsSettings(pii_keys={"p1": KEY}, extractor="textract")
    with pytest.raises(ValidationError, match="not among"):
        DocumentsSettings(pii_keys={"p1": KEY}, extractor="textract", pii_active_key_id="p2")
    settings = DocumentsSettings(pii_keys={"p1": KEY}, extractor="textract", pii_active_key_id="p1")
    assert settings.cipher().active_key_id == "p1"


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_DOCUMENTS_PII_KEYS", f'{{"p1": "{KEY}"}}')
    monkeypatch.setenv("PRESCREEN_DOCUMENTS_WORKERS", "3")
    monkeypatch.setenv("PRESCREEN_DOCUMENTS_WHEN_NOTHING_UPLOADED", "continue")
    settings = DocumentsSettings()
    assert settings.workers == 3
    assert settings.when_nothing_uploaded == "continue"
    assert settings.extractor == "local"
    assert settings.input_topic == "loan.applications.received.v1"
    assert settings.cipher().active_key_id is None  # the local extractor only opens


def test_workers_default_to_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESCREEN_DOCUMENTS_WORKERS", raising=False)
    assert DocumentsSettings(pii_keys={"p1": KEY}).workers >= 1
    with pytest.raises(ValidationError):
        DocumentsSettings(pii_keys={"p1": KEY}, when_nothing_uploaded="decline")
