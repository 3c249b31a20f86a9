"""The embedded default adapter: each message becomes one ``.eml`` file in a directory.

For development, demos and banks that hand mail to another system by file. The file is named
after the idempotency key, so sending the same message again replaces it instead of adding a
second one, and it is written to a temporary file first and renamed into place, so a reader
never sees half a message and a crash leaves at most a stray temporary file.
"""

from __future__ import annotations

import os
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Final

from services.notifier.applicants.mailer import TransientMailError, safe_name

SUFFIX: Final = ".eml"
_TEMP_PREFIX: Final = ".tmp-"


class OutboxMailer:
    """Writes messages as RFC 5322 files (CRLF line ends) into ``directory``."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        return self._directory

    def path_for(self, idempotency_key: str) -> Path:
        return self._directory / f"{safe_name(idempotency_key)}{SUFFIX}"

    def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        target = self.path_for(idempotency_key)
        data = message.as_bytes(policy=SMTP)
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                prefix=_TEMP_PREFIX, suffix=SUFFIX, dir=self._directory
            )
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            # A full or read-only disk can be fixed without touching the message.
            raise TransientMailError(f"outbox write failed ({type(exc).__name__})") from None
        return target.name
