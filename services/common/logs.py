"""Structured JSON logging with personal data redacted by default.

Every record is one JSON object carrying the application id and trace id of the event being
handled (set through ``log_context``), so an operator can follow one application across services
without the log ever holding an SSN, e-mail address, phone number or card number.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

_application_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "application_id", default=None
)
_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

# Ordered: SSNs before phone numbers, because a dashed SSN would also look like a phone number.
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[SSN]"),
    (re.compile(r"\b(?:\d{4}[ -]?){3}\d{3,4}\b"), "[CARD]"),
    (re.compile(r"\b\d{9}\b"), "[SSN]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[EMAIL]"),
    # Bare digit runs are left alone so epoch-millisecond timestamps stay readable; a phone
    # number is recognised by its leading "+" (E.164) or by its separators.
    (re.compile(r"\+\d{7,15}\b"), "[PHONE]"),
    (re.compile(r"\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "[PHONE]"),
)

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask anything that looks like an SSN, card number, e-mail address or phone number."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


@contextlib.contextmanager
def log_context(application_id: str | None, trace_id: str | None) -> Iterator[None]:
    """Attach an application id and trace id to every record logged inside the block."""
    app_token = _application_id.set(application_id)
    trace_token = _trace_id.set(trace_id)
    try:
        yield
    finally:
        _application_id.reset(app_token)
        _trace_id.reset(trace_token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields passed with ``extra=`` become top-level keys."""

    def __init__(self, service: str, redact_pii: bool = True) -> None:
        super().__init__()
        self._service = service
        self._redact_pii = redact_pii

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        application_id = _application_id.get()
        if application_id:
            entry["application_id"] = application_id
        trace_id = _trace_id.get()
        if trace_id:
            entry["trace_id"] = trace_id
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        text = orjson.dumps(entry, default=str).decode()
        return redact(text) if self._redact_pii else text


def configure_logging(service: str, level: str = "INFO", redact_pii: bool = True) -> None:
    """Route the root logger to stderr as JSON; safe to call more than once."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service, redact_pii=redact_pii))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
