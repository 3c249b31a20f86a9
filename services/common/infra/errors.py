"""The one error type of the local infrastructure."""

from __future__ import annotations


class InfraError(RuntimeError):
    """A local Kafka or Redis could not be installed, started, reached or stopped.

    The message is meant for a person: it says what went wrong and what to do about it.
    """


class PortInUseError(InfraError):
    """A port the component should listen on is already taken by another process."""
