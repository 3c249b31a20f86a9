"""The base every event model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventModel(BaseModel):
    """Immutable, closed event payload.

    Frozen so a handler cannot mutate an event another handler also sees, and ``extra="forbid"``
    so a producer typo fails loudly at the boundary instead of vanishing downstream.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)
