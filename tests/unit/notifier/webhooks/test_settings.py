"""WebhookSettings: environment parsing, secrets kept secret, coherent limits."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from services.notifier.webhooks.settings import WebhookSettings

KEY = "s" * 40
PREFIX = "PRESCREEN_NOTIFIER_WEBHOOK_"


def test_defaults() -> None:
    settings = WebhookSettings()
    assert settings.connect_timeout_s == 2.0
    assert settings.total_timeout_s == 5.0
    assert settings.max_response_bytes == 64 * 1024
    assert settings.require_https
    assert settings.allowed_ports == ()
    assert not settings.allow_list()


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}SECRETS", f'{{"k1": "{KEY}"}}')
    monkeypatch.setenv(f"{PREFIX}ALLOW_HOSTS", "127.0.0.1, localhost,10.0.0.0/8")
    monkeypatch.setenv(f"{PREFIX}ALLOWED_PORTS", "[443, 8443]")
    monkeypatch.setenv(f"{PREFIX}MAX_ATTEMPTS", "5")
    monkeypatch.setenv(f"{PREFIX}BACKOFF_CAP_S", "12")
    settings = WebhookSettings()
    assert settings.secrets["k1"].get_secret_value() == KEY
    assert KEY not in repr(settings)
    assert settings.allow_hosts == ("127.0.0.1", "localhost", "10.0.0.0/8")
    assert settings.allow_list().permits_host("10.1.1.1")
    assert settings.allowed_ports == (443, 8443)
    assert (settings.max_attempts, settings.backoff_cap_s) == (5, 12.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"secrets": {"k1": "short"}}, "at least 32"),
        ({"secrets": {"k1": "changeme"}}, "placeholder"),
        ({"secrets": {"bad id": KEY}}, "secret ids"),
        ({"allow_hosts": ("10.0.0.1/8",)}, "host bits"),
        ({"allowed_ports": (0,)}, "1-65535"),
        ({"connect_timeout_s": 6.0, "total_timeout_s": 5.0}, "connect_timeout_s"),
        ({"backoff_base_s": 20.0, "backoff_cap_s": 10.0}, "backoff_base_s"),
        ({"subscriptions_file": "a.json", "subscriptions": [{"id": "x"}]}, "not both"),
    ],
)
def test_invalid_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookSettings(**values)  # type: ignore[arg-type]


def test_a_rejected_secret_is_not_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookSettings(secrets={"k1": SecretStr("too-short-but-secret")})
    assert "too-short-but-secret" not in str(caught.value)
