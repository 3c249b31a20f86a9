"""The stage's wiring: settings choose the champion, the challenger and the reload interval."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from services.common.settings import RedisSettings
from services.scoring.app import build_handler
from services.scoring.metrics import ScoringMetrics
from services.scoring.model_source import promote
from services.scoring.settings import ScoringSettings
from tests.unit.scoring.test_handler import (
    FakeBureau,
    FakeInternalData,
    RunNow,
    case,
    envelope,
    scored,
)
from tests.unit.scoring.test_model_source import write_version


def test_settings_wire_a_promoted_champion_and_a_shadow_challenger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    champion = write_version(tmp_path / "models", seed=5)
    challenger = write_version(tmp_path / "challengers", seed=6)
    promote(tmp_path / "models", champion.name)
    monkeypatch.setenv("PRESCREEN_SCORING_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("PRESCREEN_SCORING_CHALLENGER_MODEL_DIR", str(challenger))
    monkeypatch.setenv("PRESCREEN_SCORING_MODEL_RELOAD_INTERVAL_S", "30")
    settings = ScoringSettings()
    metrics = ScoringMetrics()
    handler = build_handler(
        settings,
        redis.Redis(host="127.0.0.1", port=1),  # never connected: Once is replaced below
        RedisSettings(),
        metrics,
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
    )
    assert settings.model_reload_interval_s == 30
    [event] = scored(handler([envelope(case())]))
    assert event.scoring.model_version == champion.name.rsplit("-", 1)[1]
    assert event.scoring.challenger is not None
    assert event.scoring.challenger.model_version == challenger.name.rsplit("-", 1)[1]
