"""Dashboard settings come from PRESCREEN_NOTIFIER_DASHBOARD_* and refuse nonsense."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.common.contracts.registry import Topics
from services.notifier.dashboard.settings import DashboardSettings


def test_defaults() -> None:
    settings = DashboardSettings()
    assert settings.host == "127.0.0.1"
    assert settings.topic == Topics.DECISIONS.name
    assert (settings.window_minutes, settings.latest_count) == (15, 20)


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_PORT", "9001")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_WINDOW_MINUTES", "5")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_MAX_STREAMS", "3")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_KEEPALIVE_S", "2.5")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_TOPIC", "t.decisions")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_DASHBOARD_API_KEYS", "{}")  # auth's, ignored here
    settings = DashboardSettings()
    assert (settings.port, settings.window_minutes, settings.max_streams) == (9001, 5, 3)
    assert settings.keepalive_s == 2.5 and settings.topic == "t.decisions"


@pytest.mark.parametrize(
    ("name", "value"),
    [("TOPIC", "bad topic!"), ("WINDOW_MINUTES", "0"), ("MAX_STREAMS", "0"), ("PORT", "70000")],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"PRESCREEN_NOTIFIER_DASHBOARD_{name}", value)
    with pytest.raises(ValidationError):
        DashboardSettings()
