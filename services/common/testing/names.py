"""Unique, Kafka-legal names for topics and consumer groups made by tests."""

from __future__ import annotations

import re
import uuid

_MAX_CONTEXT = 40  # keeps names readable and far below Kafka's 249-character limit
_ILLEGAL = re.compile(r"[^a-z0-9-]+")


def _slug(text: str) -> str:
    return _ILLEGAL.sub("-", text.lower()).strip("-")


def unique_resource_name(prefix: str, context: str = "") -> str:
    """``<prefix>-<context>-<8 random hex digits>``, using only ``[a-z0-9-]``.

    ``context`` is usually the test's name, cut to 40 characters; both parts are reduced to
    lowercase letters, digits and dashes (no dots or underscores, which Kafka treats as
    colliding in metric names).
    """
    random_part = uuid.uuid4().hex[:8]
    parts = [_slug(prefix), _slug(context)[:_MAX_CONTEXT].strip("-"), random_part]
    return "-".join(p for p in parts if p)
