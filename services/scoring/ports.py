"""What the scoring handler needs from outside; adapters implement these.

The bureau and the bank's own books are ports of the ``bureau`` package (``CreditBureau``,
``InternalData``), re-exported here so the handler has one place to import its ports from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from services.scoring.bureau.ports import CreditBureau, InternalData
from services.scoring.training.artifact import LoadedModel

T = TypeVar("T")

__all__ = ["CreditBureau", "InternalData", "ModelProvider", "RunOnce"]


class RunOnce(Protocol):
    """The part of ``services.common.idempotency.Once`` the handler uses.

    A bureau pull is a hard inquiry on the applicant's file: a retried or replayed event must
    reuse the stored report instead of pulling again.
    """

    def many(
        self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1
    ) -> list[T]: ...


class ModelProvider(Protocol):
    """The model to score a batch with; ``model_source.ModelSource`` reloads new versions."""

    def current(self) -> LoadedModel: ...
