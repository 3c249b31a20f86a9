"""Amazon SES (API v2) adapter: the message goes as raw MIME, exactly as composed.

Raw content keeps our ``Message-ID``, ``Reply-To`` and alternative parts intact. The
idempotency key travels as a message tag, so SES event records can be matched to a decision.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from services.notifier.applicants.mailer import (
    PermanentMailError,
    TransientMailError,
    safe_name,
)

# Errors that come from this message or recipient. Everything else (throttling, a paused
# account, an unverified sender, a missing configuration set, 5xx) is the sender's
# situation, which can be fixed and retried without changing the message.
_PERMANENT: Final = frozenset({"MessageRejected", "BadRequestException"})
_TAG_NAME: Final = "idempotency_key"


class SesMailer:
    """Sends through an ``sesv2`` client (``boto3.client("sesv2", ...)``)."""

    def __init__(self, client: Any, *, configuration_set: str | None = None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        request: dict[str, Any] = {
            "Content": {"Raw": {"Data": message.as_bytes(policy=SMTP)}},
            "EmailTags": [{"Name": _TAG_NAME, "Value": safe_name(idempotency_key)}],
        }
        if self._configuration_set is not None:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._client.send_email(**request)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # Only the code: SES messages can quote the addresses.
            if code in _PERMANENT:
                raise PermanentMailError(f"SES refused the message ({code})") from None
            raise TransientMailError(f"SES error {code} (HTTP {status})") from None
        except BotoCoreError as exc:
            raise TransientMailError(f"SES unreachable ({type(exc).__name__})") from None
        return str(response["MessageId"])
