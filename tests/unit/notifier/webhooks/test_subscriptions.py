"""Subscriptions: validation, matching, and keys that never show up in a repr."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import SecretStr, ValidationError

from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.ssrf import AllowList
from services.notifier.webhooks.subscriptions import Subscription, SubscriptionRegistry

KEY = "k" * 40
SECRETS = {"acme-2025": SecretStr(KEY), "feed": SecretStr("f" * 40)}


def raw(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": "acme-decisions",
        "client_id": "acme",
        "url": "https://hooks.acme.example/prescreen?token=capability-123",
        "events": ["decision"],
        "secret_id": "acme-2025",
    }
    values.update(overrides)
    return values


def registry(*items: dict[str, Any]) -> SubscriptionRegistry:
    return SubscriptionRegistry.from_list(items, SECRETS)


def test_a_valid_subscription() -> None:
    subscription = Subscription.model_validate(raw(events=["decision", "rejection"]))
    assert subscription.events == frozenset({"decision", "rejection"})
    assert subscription.active
    assert subscription.secret_ids == ("acme-2025",)


def test_subscriptions_are_frozen_and_strict() -> None:
    subscription = Subscription.model_validate(raw())
    with pytest.raises(ValidationError):
        subscription.active = False  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        Subscription.model_validate(raw(secret="inline secrets are not a field"))


def test_repr_holds_no_key_and_no_url() -> None:
    subscription = Subscription.model_validate(raw())
    text = repr(subscription) + str(subscription)
    assert "acme-2025" in text  # the id of the key, which is fine
    assert KEY not in text
    assert "capability-123" not in text


def test_registry_repr_and_secrets_are_masked() -> None:
    registry_ = registry(raw())
    assert KEY not in repr(registry_)
    assert KEY not in repr(registry_.secrets)
    assert registry_.secrets["acme-2025"].get_secret_value() == KEY


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "http://hooks.acme.example/x"}, "plain http"),
        ({"url": "https://user:pw@hooks.acme.example/x"}, "credentials"),
        ({"url": "ftp://hooks.acme.example/x"}, "scheme"),
        ({"url": "https://hooks.acme.example/x#frag"}, "fragment"),
        ({"events": []}, "at least 1"),
        ({"events": ["decision", "approval"]}, "decision"),
        ({"id": "has space"}, "pattern"),
        ({"secret_id": ""}, "pattern"),
        ({"additional_secret_ids": ["acme-2025"]}, "named twice"),
    ],
)
def test_invalid_subscriptions_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Subscription.model_validate(raw(**overrides))


def test_client_id_must_be_stated() -> None:
    values = raw()
    del values["client_id"]
    with pytest.raises(ValidationError, match="client_id"):
        Subscription.model_validate(values)


def test_plain_http_only_to_an_allow_listed_host() -> None:
    item = raw(url="http://127.0.0.1:8080/hook")
    with pytest.raises(ValidationError, match="plain http"):
        SubscriptionRegistry.from_list([item], SECRETS)
    allowed = SubscriptionRegistry.from_list([item], SECRETS, allow=AllowList.parse(["127.0.0.1"]))
    assert len(allowed) == 1


def test_matching_by_kind_and_client() -> None:
    registry_ = registry(
        raw(id="acme-all", events=["decision", "status"]),
        raw(id="acme-rejections", events=["rejection"]),
        raw(id="globex", client_id="globex", events=["decision"]),
        raw(id="feed", client_id=None, events=["rejection"], secret_id="feed"),
        raw(id="acme-paused", events=["decision"], active=False),
    )
    assert registry_ids(registry_.matching("decision", "acme")) == ["acme-all"]
    assert registry_ids(registry_.matching("rejection", "acme")) == ["acme-rejections", "feed"]
    assert registry_ids(registry_.matching("status", "acme")) == ["acme-all"]
    assert registry_ids(registry_.matching("decision", "globex")) == ["globex"]
    assert registry_ids(registry_.matching("rejection", "globex")) == ["feed"]
    assert registry_ids(registry_.matching("decision", "initech")) == []


def test_an_unknown_client_reaches_platform_feeds_only() -> None:
    registry_ = registry(
        raw(id="acme", events=["rejection"]),
        raw(id="feed", client_id=None, events=["rejection"], secret_id="feed"),
    )
    assert [s.id for s in registry_.matching("rejection", None)] == ["feed"]


def test_matching_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        registry(raw()).matching("approval", "acme")


def test_registry_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        registry(raw(), raw())


def test_registry_refuses_an_active_subscription_with_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="unconfigured signing keys"):
        registry(raw(secret_id="nope"))
    with pytest.raises(ValueError, match="unconfigured signing keys"):
        registry(raw(additional_secret_ids=["nope"]))
    assert len(registry(raw(secret_id="nope", active=False))) == 1


def test_rotation_keys_are_part_of_the_subscription() -> None:
    subscription = registry(raw(additional_secret_ids=["feed"])).get("acme-decisions")
    assert subscription is not None
    assert subscription.secret_ids == ("acme-2025", "feed")


def test_registry_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.json"
    path.write_bytes(orjson.dumps([raw(), raw(id="second", events=["status"])]))
    registry_ = SubscriptionRegistry.from_json_file(path, SECRETS)
    assert [s.id for s in registry_] == ["acme-decisions", "second"]
    path.write_bytes(orjson.dumps({"subscriptions": []}))
    with pytest.raises(ValueError, match="JSON list"):
        SubscriptionRegistry.from_json_file(path, SECRETS)


def test_registry_from_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.json"
    path.write_bytes(orjson.dumps([raw(url="http://127.0.0.1:9000/hook")]))
    settings = WebhookSettings(
        subscriptions_file=path,
        secrets={"acme-2025": SecretStr(KEY)},
        allow_hosts=("127.0.0.1",),
    )
    assert registry_ids(SubscriptionRegistry.from_settings(settings)) == ["acme-decisions"]


def test_registry_from_inline_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_NOTIFIER_WEBHOOK_SUBSCRIPTIONS", orjson.dumps([raw()]).decode())
    monkeypatch.setenv(
        "PRESCREEN_NOTIFIER_WEBHOOK_SECRETS", orjson.dumps({"acme-2025": KEY}).decode()
    )
    assert registry_ids(SubscriptionRegistry.from_settings()) == ["acme-decisions"]


def registry_ids(subscriptions: Iterable[Subscription]) -> list[str]:
    return [s.id for s in subscriptions]
