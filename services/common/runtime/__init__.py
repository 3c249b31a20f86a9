"""The stage runtime: consume → decode → handle → produce → commit, exactly once."""

from services.common.errors import PermanentError, TransientError
from services.common.runtime.envelope import Emit, Envelope, Reject
from services.common.runtime.loop import RunStats, StageRuntime
from services.common.runtime.settings import RuntimeSettings

__all__ = [
    "Emit",
    "Envelope",
    "PermanentError",
    "Reject",
    "RunStats",
    "RuntimeSettings",
    "StageRuntime",
    "TransientError",
]
