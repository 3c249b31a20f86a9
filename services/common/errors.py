"""How a handler tells the runtime what kind of failure it hit."""

from __future__ import annotations


class TransientError(Exception):
    """The same input may succeed later (a dependency timed out, a lease is held).

    The runtime retries with bounded backoff, then dead-letters the events as
    ``retries_exhausted`` so one outage never blocks a partition; replay them once it is over.
    """


class PermanentError(Exception):
    """The input can never succeed as it is; the event goes to the dead-letter topic."""


class WriterViolationError(PermanentError):
    """A handler tried to produce to a topic its service does not own."""
