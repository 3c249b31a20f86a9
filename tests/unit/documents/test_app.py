"""The documents service's wiring: the configured extractor and a handler from settings."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import redis

from services.common.docstore import DocumentStoreSettings
from services.common.settings import RedisSettings
from services.documents.app import build_extractor, build_handler
from services.documents.pool import ExtractionPool
from services.documents.settings import DocumentsSettings
from services.documents.textract.extractor import TextractExtractor

KEY = base64.b64encode(b"k" * 32).decode()
# Never connected to: building the wiring talks to nobody.
CLIENT = redis.Redis(host="127.0.0.1", port=1)


def test_the_local_extractor_is_the_default(tmp_path: Path) -> None:
    settings = DocumentsSettings(pii_keys={"p1": KEY}, workers=0)
    extractor, pool = build_extractor(settings, CLIENT, RedisSettings())
    assert extractor is pool and isinstance(pool, ExtractionPool)
    handler = build_handler(
        settings, extractor, store_settings=DocumentStoreSettings(local_root=tmp_path)
    )
    assert handler([]) == []


def test_textract_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_TEXTRACT_REGION", "us-east-1")
    settings = DocumentsSettings(
        pii_keys={"p1": KEY}, extractor="textract", pii_active_key_id="p1", workers=0
    )
    extractor, pool = build_extractor(settings, CLIENT, RedisSettings())
    assert isinstance(extractor, TextractExtractor)
    assert extractor.version == "textract" and isinstance(pool, ExtractionPool)
