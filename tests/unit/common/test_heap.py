"""Freezing the start-up heap keeps it out of later full collections."""

from __future__ import annotations

import gc

from services.common.heap import freeze_startup_heap


def test_surviving_objects_are_frozen_and_garbage_is_collected_first() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    gc.unfreeze()
    try:
        keep = [Node() for _ in range(100)]
        Node()  # a cycle with no references: garbage, must not be frozen
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > len(keep)
        assert all(not gc.is_tracked(n) or n not in gc.get_objects() for n in keep[:3])
        assert gc.collect() == 0  # nothing left that a full pass would find
    finally:
        gc.unfreeze()
