"""Webhook building blocks of the notifier: subscriptions, signing, SSRF guard, retries, delivery.

See README.md in this directory.
"""

from services.notifier.webhooks.delivery import (
    DeliveryOutcome,
    DeliveryResult,
    WebhookDeliverer,
    WebhookRejectedError,
    WebhookRetryLaterError,
    deliver_once,
    once_key,
    webhook_body,
)
from services.notifier.webhooks.retry import RetryPolicy, Verdict, classify_error, classify_status
from services.notifier.webhooks.settings import WebhookSettings
from services.notifier.webhooks.signing import (
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    Signer,
    WebhookReceiver,
    verify,
)
from services.notifier.webhooks.ssrf import (
    AllowList,
    BlockedUrlError,
    UnresolvableHostError,
    UrlGuard,
)
from services.notifier.webhooks.subscriptions import (
    EventKind,
    Subscription,
    SubscriptionRegistry,
)
from services.notifier.webhooks.transport import PinnedTransport

__all__ = [
    "DELIVERY_ID_HEADER",
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "AllowList",
    "BlockedUrlError",
    "DeliveryOutcome",
    "DeliveryResult",
    "EventKind",
    "PinnedTransport",
    "RetryPolicy",
    "SignatureError",
    "Signer",
    "Subscription",
    "SubscriptionRegistry",
    "UnresolvableHostError",
    "UrlGuard",
    "Verdict",
    "WebhookDeliverer",
    "WebhookReceiver",
    "WebhookRejectedError",
    "WebhookRetryLaterError",
    "WebhookSettings",
    "classify_error",
    "classify_status",
    "deliver_once",
    "once_key",
    "verify",
    "webhook_body",
]
