"""Who receives which events: webhook subscriptions and the registry that matches them.

A ``Subscription`` names its signing key by id only (``secret_id``); the key itself lives in the
settings (``PRESCREEN_NOTIFIER_WEBHOOK_SECRETS``) and is looked up by the ``Signer``, so no model,
``repr`` or log line ever holds it. The URL is kept out of ``repr`` too: some receivers put a
capability token in their webhook path.

Event kinds:

* ``decision`` — every final decision on an application of the subscriber;
* ``rejection`` — declined applications only: the external rejection feed of the reference
  workflow;
* ``status`` — status changes while an application is in flight.

``client_id`` is the API client whose applications the subscriber may see. A subscription
without one (``null``) is a platform-wide feed that receives the events of every client; an
event whose client is unknown reaches platform-wide feeds only, never a client's endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal, get_args

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.notifier.webhooks.settings import SECRET_ID_PATTERN, WebhookSettings
from services.notifier.webhooks.signing import MAX_SIGNATURES
from services.notifier.webhooks.ssrf import AllowList, BlockedUrlError, UrlGuard

EventKind = Literal["decision", "rejection", "status"]
EVENT_KINDS: Final[frozenset[str]] = frozenset(get_args(EventKind))
ALLOW_LIST_CONTEXT: Final = "allow_list"
"""Validation-context key of the ``AllowList`` that may relax the https rule."""

_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
SecretId = Annotated[str, Field(pattern=SECRET_ID_PATTERN)]
_MAX_URL_LENGTH: Final = 2048


class Subscription(BaseModel):
    """One endpoint that wants some kinds of events, signed with a named key."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    id: str = Field(pattern=_ID_PATTERN, description="Unique id of the subscription.")
    client_id: Annotated[str, Field(pattern=_ID_PATTERN)] | None = Field(
        description=(
            "API client whose events it receives; null (stated explicitly) for a "
            "platform-wide feed."
        ),
    )
    url: str = Field(
        max_length=_MAX_URL_LENGTH,
        repr=False,
        description=(
            "https URL of the endpoint; http only to a host allow-listed for testing. "
            "No credentials."
        ),
    )
    events: frozenset[EventKind] = Field(min_length=1)
    secret_id: SecretId = Field(description="Id of the signing key (never the key).")
    additional_secret_ids: tuple[SecretId, ...] = Field(
        default=(),
        max_length=MAX_SIGNATURES - 1,
        description="Also sign with these keys, while the receiver rotates to a new one.",
    )
    active: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        context = info.context if isinstance(info.context, Mapping) else {}
        allow = context.get(ALLOW_LIST_CONTEXT)
        guard = UrlGuard(allow=allow if isinstance(allow, AllowList) else AllowList())
        try:
            guard.check_url_shape(value)
        except BlockedUrlError as exc:
            raise ValueError(f"webhook url refused: {exc}") from None
        if "#" in value:
            raise ValueError("webhook url must not have a fragment")
        return value

    @model_validator(mode="after")
    def _distinct_keys(self) -> Subscription:
        if len(set(self.secret_ids)) != len(self.secret_ids):
            raise ValueError("a signing key is named twice")
        return self

    @property
    def secret_ids(self) -> tuple[str, ...]:
        """Every key the requests are signed with: ``secret_id`` first."""
        return (self.secret_id, *self.additional_secret_ids)

    def wants(self, kind: str, client_id: str | None) -> bool:
        """Whether this subscription receives an event of ``kind`` about ``client_id``."""
        if not self.active or kind not in self.events:
            return False
        return self.client_id is None or self.client_id == client_id


class SubscriptionRegistry:
    """A fixed set of subscriptions and the signing keys they name.

    Refuses duplicate ids and an active subscription whose key is not configured, so a
    misconfiguration stops the service at start instead of failing each delivery.
    """

    def __init__(
        self, subscriptions: Iterable[Subscription], secrets: Mapping[str, SecretStr]
    ) -> None:
        self._subscriptions = tuple(subscriptions)
        self._by_id = {s.id: s for s in self._subscriptions}
        if len(self._by_id) != len(self._subscriptions):
            raise ValueError("subscription ids must be unique")
        self._secrets = dict(secrets)
        for subscription in self._subscriptions:
            missing = [k for k in subscription.secret_ids if k not in self._secrets]
            if subscription.active and missing:
                raise ValueError(
                    f"subscription {subscription.id!r} names unconfigured signing keys {missing}"
                )

    @classmethod
    def from_list(
        cls,
        raw: Iterable[Mapping[str, Any]],
        secrets: Mapping[str, SecretStr],
        *,
        allow: AllowList | None = None,
    ) -> SubscriptionRegistry:
        """Validate raw subscription objects (JSON-like); ``allow`` may relax the https rule."""
        context = {ALLOW_LIST_CONTEXT: allow or AllowList()}
        subscriptions = [Subscription.model_validate(item, context=context) for item in raw]
        return cls(subscriptions, secrets)

    @classmethod
    def from_json_file(
        cls, path: Path, secrets: Mapping[str, SecretStr], *, allow: AllowList | None = None
    ) -> SubscriptionRegistry:
        """From a JSON file holding a list of subscription objects."""
        document = orjson.loads(path.read_bytes())
        if not isinstance(document, list):
            raise ValueError(f"{path} must hold a JSON list of subscriptions")
        return cls.from_list(document, secrets, allow=allow)

    @classmethod
    def from_settings(cls, settings: WebhookSettings | None = None) -> SubscriptionRegistry:
        """From ``subscriptions_file`` or the inline ``subscriptions``, with the settings' keys."""
        settings = settings or WebhookSettings()
        allow = settings.allow_list()
        if settings.subscriptions_file is not None:
            return cls.from_json_file(settings.subscriptions_file, settings.secrets, allow=allow)
        return cls.from_list(settings.subscriptions, settings.secrets, allow=allow)

    @property
    def secrets(self) -> Mapping[str, SecretStr]:
        """Secret id -> signing key (``SecretStr``; shown masked if printed)."""
        return dict(self._secrets)

    def __repr__(self) -> str:
        return (
            f"SubscriptionRegistry(subscriptions={len(self._subscriptions)}, "
            f"secret_ids={sorted(self._secrets)})"
        )

    def __len__(self) -> int:
        return len(self._subscriptions)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(self._subscriptions)

    def get(self, subscription_id: str) -> Subscription | None:
        return self._by_id.get(subscription_id)

    def matching(self, event_kind: str, client_id: str | None) -> tuple[Subscription, ...]:
        """Active subscriptions that receive ``event_kind`` events about ``client_id``.

        ``client_id=None`` (client unknown) matches platform-wide feeds only.
        """
        if event_kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {event_kind!r}; one of {sorted(EVENT_KINDS)}")
        return tuple(s for s in self._subscriptions if s.wants(event_kind, client_id))
