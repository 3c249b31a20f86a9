"""Server-sent events framing (the WHATWG ``text/event-stream`` format).

A field value cannot hold a line break (CR, LF or CRLF all end a line), so ``data`` is split
into one ``data:`` line per line and the client joins them with ``\\n`` again; event names, ids
and comments are refused or flattened instead, because a line break there would let the
content start a field of its own.
"""

from __future__ import annotations

import re
from typing import Final

MEDIA_TYPE: Final = "text/event-stream"
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def event(data: str, *, name: str | None = None, event_id: str | int | None = None) -> bytes:
    """One event: optional ``event:`` and ``id:`` fields, the data lines, a blank line."""
    lines: list[str] = []
    if name is not None:
        if not _NAME.fullmatch(name):
            raise ValueError("event names are 1-64 characters of [A-Za-z0-9_.-]")
        lines.append(f"event: {name}")
    if event_id is not None:
        text = str(event_id)
        # An id with NUL is ignored by clients, one with a line break would end the field.
        if "\0" in text or _LINE_BREAK.search(text):
            raise ValueError("an event id cannot contain NUL or line breaks")
        lines.append(f"id: {text}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def comment(text: str = "") -> bytes:
    """A comment line, which clients ignore; it keeps proxies from closing an idle stream."""
    flat = _LINE_BREAK.sub(" ", text)
    return f": {flat}\n\n".encode() if flat else b":\n\n"


def retry(milliseconds: int) -> bytes:
    """The reconnection delay a client should use after the stream drops."""
    if milliseconds < 0:
        raise ValueError("retry must not be negative")
    return f"retry: {milliseconds}\n\n".encode()
