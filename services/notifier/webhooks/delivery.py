"""Deliver one event to one subscription: guard, sign, POST, classify, retry.

``WebhookDeliverer.deliver`` makes up to ``max_attempts`` attempts. Each attempt checks the URL
with the ``UrlGuard`` (nothing is sent to a refused destination), signs the body afresh (new
timestamp, new delivery id, same event id), POSTs it without following redirects under a connect
timeout and a total budget, reads at most ``max_response_bytes`` of the answer (and throws it
away: a receiver's body is never logged or kept) and classifies the outcome (``retry.py``).

A delivery is an external side effect, so the notifier stage runs each one inside ``Once``
under ``once_key(subscription_id, event_id)`` (``deliver_once`` does exactly that): once an
endpoint has accepted an event, a replay of the Kafka record returns the stored result instead
of calling it again. Logs carry subscription id, event id, delivery id, attempt, status and
outcome — never the URL, the body or a key.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final, Protocol
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel

from services.common.errors import PermanentError, TransientError
from services.notifier.webhooks.retry import (
    Classification,
    RetryPolicy,
    Verdict,
    classify_error,
    classify_status,
)
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.signing import Signer
from services.notifier.webhooks.ssrf import (
    BlockedUrlError,
    Resolver,
    UnresolvableHostError,
    UrlGuard,
    system_resolver,
)
from services.notifier.webhooks.subscriptions import EventKind, Subscription
from services.notifier.webhooks.transport import PinnedTransport
from services.notifier.webhooks.watchdog import total_deadline

log = logging.getLogger(__name__)

EVENT_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
CONTENT_TYPE: Final = "application/json"
CHECK_TTL_S: Final = 5.0
"""How long a URL that passed the guard's pre-flight check is not checked again."""
_NO_RESPONSE: Final = (BlockedUrlError, UnresolvableHostError, httpx.HTTPError, httpx.InvalidURL)


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    REJECTED = "rejected"
    """The receiver answered with a status that retrying will not change (4xx, a redirect)."""
    BLOCKED = "blocked"
    """The URL guard refused the destination; nothing was sent."""
    RETRIES_EXHAUSTED = "retries_exhausted"
    """Every attempt failed in a way that might succeed later (5xx, 429, timeouts)."""


@dataclass(frozen=True)
class DeliveryResult:
    """How a delivery ended; JSON-serialisable (``to_dict``) so ``Once`` can store it."""

    subscription_id: str
    event_id: str
    outcome: DeliveryOutcome
    attempts: int
    status_code: int | None
    duration_s: float
    reason: str
    delivery_id: str
    """The delivery id of the last attempt."""
    retry_after_s: float | None = None
    """How long the receiver asked us to wait (``Retry-After``), if it did."""

    @property
    def delivered(self) -> bool:
        return self.outcome is DeliveryOutcome.DELIVERED

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["outcome"] = self.outcome.value
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DeliveryResult:
        return cls(
            subscription_id=str(values["subscription_id"]),
            event_id=str(values["event_id"]),
            outcome=DeliveryOutcome(values["outcome"]),
            attempts=int(values["attempts"]),
            status_code=None if values["status_code"] is None else int(values["status_code"]),
            duration_s=float(values["duration_s"]),
            reason=str(values["reason"]),
            delivery_id=str(values["delivery_id"]),
            retry_after_s=None
            if values.get("retry_after_s") is None
            else float(values["retry_after_s"]),
        )

    def raise_for_outcome(self) -> None:
        """Nothing if delivered; else the runtime's ``PermanentError`` or ``TransientError``."""
        if self.outcome is DeliveryOutcome.DELIVERED:
            return
        if self.outcome is DeliveryOutcome.RETRIES_EXHAUSTED:
            raise WebhookRetryLaterError(self)
        raise WebhookRejectedError(self)


class WebhookRejectedError(PermanentError):
    """The delivery can never succeed as it is (refused URL, 4xx, redirect); dead-letter it."""

    def __init__(self, result: DeliveryResult) -> None:
        super().__init__(
            f"webhook {result.subscription_id} {result.outcome.value} event {result.event_id}: "
            f"{result.reason}"
        )
        self.result = result


class WebhookRetryLaterError(TransientError):
    """Every attempt failed transiently; the runtime may retry the event later."""

    def __init__(self, result: DeliveryResult) -> None:
        super().__init__(
            f"webhook {result.subscription_id} gave up on event {result.event_id} after "
            f"{result.attempts} attempts: {result.reason}"
        )
        self.result = result


def once_key(subscription_id: str, event_id: str) -> str:
    """The ``Once`` key of delivering ``event_id`` to ``subscription_id`` (unambiguous)."""
    return f"webhook:{quote(subscription_id, safe='')}:{quote(event_id, safe='')}"


def webhook_body(event_id: str, kind: EventKind, data: BaseModel | Mapping[str, Any]) -> bytes:
    """The JSON envelope ``{"id", "kind", "data"}``: the event id travels inside the signed body.

    ``data`` is e.g. a ``LoanDecision``, serialised in its JSON form.
    """
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
    return orjson.dumps({"id": event_id, "kind": kind, "data": payload})


def _new_delivery_id() -> str:
    return uuid.uuid4().hex


class WebhookDeliverer:
    """Delivers signed webhooks with bounded retries; one instance may serve many threads."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        guard: UrlGuard,
        signer: Signer,
        *,
        retry: RetryPolicy | None = None,
        connect_timeout_s: float = 2.0,
        total_timeout_s: float = 5.0,
        max_response_bytes: int = 64 * 1024,
        user_agent: str = "prescreen-notifier/1",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        new_delivery_id: Callable[[], str] = _new_delivery_id,
        close_transport: bool = False,
    ) -> None:
        if not 0 < connect_timeout_s <= total_timeout_s:
            raise ValueError("timeouts need 0 < connect_timeout_s <= total_timeout_s")
        if max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")
        self._transport = transport
        self._urls: dict[str, httpx.URL] = {}
        self._checked: dict[str, float] = {}
        self._guard = guard
        self._signer = signer
        self._retry = retry if retry is not None else RetryPolicy()
        self._connect_timeout_s = connect_timeout_s
        self._total_timeout_s = total_timeout_s
        self._max_response_bytes = max_response_bytes
        self._user_agent = user_agent
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._new_delivery_id = new_delivery_id
        self._close_transport = close_transport

    @classmethod
    def from_settings(
        cls,
        settings: WebhookSettings | None = None,
        *,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        **overrides: Any,
    ) -> WebhookDeliverer:
        """A deliverer with a guarded, address-pinning transport it owns (``close()`` it).

        ``verify`` is the TLS trust (e.g. an ``SSLContext`` with a private CA); ``overrides``
        are further constructor arguments (``sleep``, ``clock`` ...).
        """
        settings = settings or WebhookSettings()
        guard = UrlGuard(
            allow=settings.allow_list(),
            allowed_ports=settings.allowed_ports,
            require_https=settings.require_https,
            resolver=resolver,
        )
        retry = RetryPolicy(
            base_s=settings.backoff_base_s,
            cap_s=settings.backoff_cap_s,
            max_attempts=settings.max_attempts,
        )
        options: dict[str, Any] = {
            "retry": retry,
            "connect_timeout_s": settings.connect_timeout_s,
            "total_timeout_s": settings.total_timeout_s,
            "max_response_bytes": settings.max_response_bytes,
            "user_agent": settings.user_agent,
            **overrides,
        }
        return cls(
            PinnedTransport(guard, verify=verify, max_response_bytes=settings.max_response_bytes),
            guard,
            Signer(settings.secrets),
            close_transport=True,
            **options,
        )

    def close(self) -> None:
        if self._close_transport:
            self._transport.close()

    def __enter__(self) -> WebhookDeliverer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def max_duration_s(self) -> float:
        """The longest one ``deliver`` can take (DNS aside): size ``Once``'s lease above it."""
        attempts = self._retry.max_attempts
        return attempts * self._total_timeout_s + (attempts - 1) * self._retry.cap_s

    def deliver(self, subscription: Subscription, event_id: str, body: bytes) -> DeliveryResult:
        """Deliver ``body`` (the exact bytes to sign and send) for ``event_id``."""
        if not subscription.active:
            raise ValueError(f"subscription {subscription.id!r} is inactive")
        if not EVENT_ID_PATTERN.fullmatch(event_id):
            raise ValueError("event ids are 1-200 characters of [A-Za-z0-9_.:-]")
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            delivery_id = self._new_delivery_id()
            attempt_started = self._clock()
            classification, status = self._attempt(subscription, event_id, delivery_id, body)
            log.log(
                logging.INFO if classification.verdict is Verdict.DELIVERED else logging.WARNING,
                "webhook attempt",
                extra={
                    "subscription_id": subscription.id,
                    "event_id": event_id,
                    "delivery_id": delivery_id,
                    "attempt": attempt,
                    "status": status,
                    "verdict": classification.verdict.value,
                    "reason": classification.reason,
                    "duration_ms": round((self._clock() - attempt_started) * 1000, 1),
                },
            )
            outcome = self._outcome(classification, attempt)
            if outcome is not None:
                result = DeliveryResult(
                    subscription_id=subscription.id,
                    event_id=event_id,
                    outcome=outcome,
                    attempts=attempt,
                    status_code=status,
                    duration_s=max(0.0, self._clock() - started),
                    reason=classification.reason,
                    delivery_id=delivery_id,
                    retry_after_s=classification.retry_after_s,
                )
                self._log_result(result)
                return result
            self._sleep(self._retry.delay(attempt, classification.retry_after_s))

    def _outcome(self, classification: Classification, attempt: int) -> DeliveryOutcome | None:
        if classification.verdict is Verdict.DELIVERED:
            return DeliveryOutcome.DELIVERED
        if classification.verdict is Verdict.PERMANENT:
            return DeliveryOutcome.BLOCKED if classification.refused else DeliveryOutcome.REJECTED
        if not self._retry.has_attempts_left(attempt):
            return DeliveryOutcome.RETRIES_EXHAUSTED
        return None

    def _attempt(
        self, subscription: Subscription, event_id: str, delivery_id: str, body: bytes
    ) -> tuple[Classification, int | None]:
        """One attempt: (what it means, the HTTP status if there was a response)."""
        url = self._url(subscription.url)
        try:
            self._check(subscription.url, url)
        except (BlockedUrlError, UnresolvableHostError) as exc:
            return classify_error(exc), None
        headers = {
            "Content-Type": CONTENT_TYPE,
            "User-Agent": self._user_agent,
            **self._signer.headers(
                subscription.secret_ids, event_id=event_id, delivery_id=delivery_id, body=body
            ),
        }
        timeout = httpx.Timeout(self._total_timeout_s, connect=self._connect_timeout_s)
        # Sent straight through the transport, with no httpx client around it: no cookies,
        # default headers, auth or redirects can ride along to a subscriber's endpoint.
        request = httpx.Request(
            "POST",
            url,
            content=body,
            headers=headers,
            extensions={"timeout": timeout.as_dict()},
        )
        with total_deadline(self._total_timeout_s):
            try:
                response = self._transport.handle_request(request)
            except _NO_RESPONSE as exc:
                # The guard again, at connect time (the pinned transport), or the network.
                return classify_error(exc), None
            try:
                self._drain(response)
            finally:
                response.close()
        classification = classify_status(
            response.status_code,
            retry_after=response.headers.get("Retry-After"),
            now_s=self._wall_clock(),
        )
        return classification, response.status_code

    def _check(self, text: str, url: httpx.URL) -> None:
        """The guard's verdict on ``url``; a pass is remembered for ``CHECK_TTL_S``.

        Remembering is safe: the transport checks again whenever it opens a connection and
        connects only to an address it checked, so a DNS change cannot be slipped in here.
        """
        now = self._clock()
        passed_at = self._checked.get(text)
        if passed_at is not None and now - passed_at < CHECK_TTL_S:
            return
        self._guard.check_url(url)
        self._checked[text] = now

    def _url(self, text: str) -> httpx.URL:
        """The parsed URL, parsed once per subscription URL."""
        url = self._urls.get(text)
        if url is None:
            url = self._urls[text] = httpx.URL(text)
        return url

    def _drain(self, response: httpx.Response) -> None:
        """Read (and drop) at most ``max_response_bytes``; the status alone decides."""
        if self._max_response_bytes == 0 or response.is_stream_consumed:
            return
        read = 0
        try:
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= self._max_response_bytes:
                    break
        except (httpx.HTTPError, httpx.StreamError):
            # A body cut short or too slow changes nothing: the status line already answered.
            return

    def _log_result(self, result: DeliveryResult) -> None:
        level = logging.INFO if result.delivered else logging.WARNING
        log.log(
            level,
            "webhook delivery finished",
            extra={
                "subscription_id": result.subscription_id,
                "event_id": result.event_id,
                "outcome": result.outcome.value,
                "status": result.status_code,
                "attempt": result.attempts,
                "duration_ms": round(result.duration_s * 1000, 1),
            },
        )


class OnceRunner(Protocol):
    """What ``deliver_once`` needs of ``services.common.idempotency.Once``."""

    def __call__(self, key: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]: ...


def delivery_call(
    deliverer: WebhookDeliverer, subscription: Subscription, event_id: str, body: bytes
) -> Callable[[], dict[str, Any]]:
    """The side effect ``Once`` runs: deliver, return the stored form, raise if not delivered
    (so the claim is released and a later attempt may try again)."""

    def call() -> dict[str, Any]:
        result = deliverer.deliver(subscription, event_id, body)
        result.raise_for_outcome()
        return result.to_dict()

    return call


def deliver_once(
    once: OnceRunner,
    deliverer: WebhookDeliverer,
    subscription: Subscription,
    event_id: str,
    body: bytes,
) -> DeliveryResult:
    """Deliver at most once per (subscription, event), across replays and restarts.

    A delivered result is stored and returned on every replay without calling the endpoint.
    A failed delivery raises (``WebhookRejectedError`` / ``WebhookRetryLaterError``), which
    releases the claim: nothing was accepted, so a later replay may try again.
    """
    call = delivery_call(deliverer, subscription, event_id, body)
    return DeliveryResult.from_dict(once(once_key(subscription.id, event_id), call))
