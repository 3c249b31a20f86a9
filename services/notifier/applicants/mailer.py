"""The mail port: one ``EmailMessage`` out, a provider id back, and two kinds of failure.

Adapters classify their own errors so the handler never needs to know a protocol: a
``TransientMailError`` may succeed later (the runtime retries the batch), a
``PermanentMailError`` will fail again with the same message (the event is dead-lettered).
Error messages name a status code or error class only: servers often echo the recipient's
address, which must not reach logs or dead letters.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Final, Protocol

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")
_MAX_NAME: Final = 200


class Mailer(Protocol):
    """Sends one message. ``idempotency_key`` identifies it across retries and replays;
    adapters pass it on where the transport has a place for it."""

    def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        """The provider's id for the accepted message."""
        ...


class MailError(Exception):
    """A message was not accepted."""


class TransientMailError(MailError):
    """Not accepted now; the same message may be accepted later."""


class PermanentMailError(MailError):
    """Refused for this message or recipient; retrying will not help."""


class MalformedAddressError(ValueError):
    """An e-mail address a message cannot carry. Never holds the address itself."""


def checked_address(text: str) -> str:
    """``text`` as a bare addr-spec a header can carry, or ``MalformedAddressError``."""
    if any(ch in text for ch in '\r\n\t <>,;"()[]\\') or text.count("@") != 1:
        raise MalformedAddressError("malformed e-mail address")
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError, TypeError):
        # The parser's message quotes the input: drop it with the chained exception.
        raise MalformedAddressError("malformed e-mail address") from None
    if not address.username or "." not in address.domain or address.addr_spec != text:
        raise MalformedAddressError("malformed e-mail address")
    return text


def safe_name(key: str) -> str:
    """``key`` with only ``[A-Za-z0-9_.-]``, for file names and provider tags."""
    name = _UNSAFE.sub("_", key).strip(".") or "_"
    return name[:_MAX_NAME]
