"""SMTP adapter (``smtplib``): one connection per message, STARTTLS or implicit TLS, login.

A connection per message keeps the adapter stateless between batches (a relay closes idle
connections anyway); decisions are not frequent enough for the handshake to matter.
Replies are classified by their code: 5xx for the recipient or the content is permanent, 4xx
and every network failure transient. Authentication and sender refusals are about our own
configuration, so they are transient too: fixing the settings lets the same message through.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Final, Literal, NoReturn

from services.notifier.applicants.mailer import PermanentMailError, TransientMailError

Security = Literal["starttls", "ssl", "none"]
_PERMANENT_FROM: Final = 500


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._security = security
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._tls = tls_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self._security == "ssl":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout_s, context=self._tls
            )
        client = smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        if self._security == "starttls":
            try:
                client.starttls(context=self._tls)
            except BaseException:
                client.close()
                raise
        return client

    def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        del idempotency_key  # SMTP has no place for it; the Message-ID header plays that role
        try:
            client = self._connect()
            try:
                if self._username is not None and self._password is not None:
                    client.login(self._username, self._password)
                client.send_message(message)
            finally:
                _quit(client)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            _raise_for(codes[-1] if codes else 0, "recipient refused")
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as exc:
            raise TransientMailError(f"SMTP {exc.smtp_code}: check the sender settings") from None
        except smtplib.SMTPResponseException as exc:
            _raise_for(exc.smtp_code, "message refused")
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, timeouts, TLS failures, a dropped connection.
            raise TransientMailError(f"SMTP unavailable ({type(exc).__name__})") from None
        return str(message["Message-ID"] or "")


def _quit(client: smtplib.SMTP) -> None:
    # Once the server took the message, a failed QUIT must not turn into a resend.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _raise_for(code: int, what: str) -> NoReturn:
    if code >= _PERMANENT_FROM:
        raise PermanentMailError(f"SMTP {code}: {what}") from None
    raise TransientMailError(f"SMTP {code}: {what}") from None
