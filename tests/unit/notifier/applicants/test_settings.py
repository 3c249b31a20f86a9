"""Mail settings: the documented variables, a complete adapter, secrets kept out of errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from services.notifier.applicants.settings import MailSettings
from tests.unit.contracts import samples


def _settings(**values: Any) -> MailSettings:
    return MailSettings(pii_keys=samples.PII_KEYS_B64, **values)


def test_defaults_write_to_a_relative_outbox() -> None:
    settings = _settings()
    assert settings.adapter == "outbox"
    assert settings.outbox_dir == Path("var/outbox")
    assert not settings.outbox_dir.is_absolute()
    assert settings.contact_ttl_s == 30 * 24 * 3600
    assert settings.letterhead().domain == "bank.example"
    assert settings.cipher().active_key_id is None  # opens, never seals


def test_read_from_the_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_PII_KEYS", json.dumps(samples.PII_KEYS_B64))
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_ADAPTER", "smtp")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_SMTP_HOST", "mail.bank.example")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_SMTP_PORT", "465")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_FROM_ADDRESS", "loans@bank.example")
    monkeypatch.setenv("PRESCREEN_NOTIFIER_MAIL_BANK_NAME", "First Bank")
    monkeypatch.setenv("SMTP_HOST", "elsewhere.example")  # unprefixed: ignored
    settings = MailSettings()
    assert (settings.adapter, settings.smtp_host, settings.smtp_port) == (
        "smtp",
        "mail.bank.example",
        465,
    )
    assert settings.letterhead().bank_name == "First Bank"
    assert settings.letterhead().from_address == "loans@bank.example"


def test_the_key_ring_is_required() -> None:
    with pytest.raises(ValidationError, match="pii_keys"):
        MailSettings()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"adapter": "ses"}, "needs ses_region"),
        ({"adapter": "smtp"}, "needs smtp_host"),
        ({"smtp_username": "svc"}, "together"),
        (
            {
                "adapter": "smtp",
                "smtp_host": "mail.bank.example",
                "smtp_security": "none",
                "smtp_username": "svc",
                "smtp_password": "a-long-real-password",
            },
            "loopback",
        ),
        ({"adapter": "smtp", "smtp_host": "h.example", "smtp_timeout_s": 90}, "shorter"),
        ({"from_address": "Bank <decisions@bank.example>"}, "plain e-mail address"),
        ({"reply_to": "not-an-address"}, "plain e-mail address"),
        ({"ses_endpoint_url": "ftp://ses.example"}, "http"),
        ({"ses_region": "Mars"}, "ses_region"),
        ({"adapter": "pigeon"}, "adapter"),
        ({"bank_name": "Bank\r\nBcc: x@y.example"}, "bank_name"),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _settings(**values)


def test_complete_adapters_are_accepted() -> None:
    ses = _settings(adapter="ses", ses_region="eu-west-1", ses_configuration_set="decisions")
    assert ses.ses_region == "eu-west-1"
    local = _settings(
        adapter="smtp",
        smtp_host="127.0.0.1",
        smtp_security="none",
        smtp_username="svc",
        smtp_password="a-long-real-password",
    )
    assert isinstance(local.smtp_password, SecretStr)
    assert "a-long-real-password" not in repr(local)


def test_errors_do_not_echo_secrets() -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(smtp_username="svc", smtp_password="changeme")
    assert "changeme" not in str(caught.value)
    with pytest.raises(ValidationError) as bad_ring:
        MailSettings(pii_keys={"p1": "bm90LWEta2V5LW9mLTMyLWJ5dGVz"})
    assert "bm90LWEta2V5LW9mLTMyLWJ5dGVz" not in str(bad_ring.value)
