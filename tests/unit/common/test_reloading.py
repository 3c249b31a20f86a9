"""The shared reloader on plain values: when it looks, what it keeps, what it reports."""

from __future__ import annotations

import pytest

from services.common.reloading import Reloading


class Files:
    """Stands in for files on disk: a stamp, and a content that may fail to load."""

    def __init__(self) -> None:
        self.version = 1
        self.broken = False
        self.unreadable = False
        self.loads = 0

    def stamp(self) -> int:
        if self.unreadable:
            raise FileNotFoundError("pointer missing")
        return self.version

    def load(self) -> str:
        self.loads += 1
        if self.broken:
            raise ValueError("corrupt")
        return f"v{self.version}"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reloading(files: Files, clock: Clock, results: list[str]) -> Reloading[str]:
    return Reloading(
        what="test value",
        stamp=files.stamp,
        load=files.load,
        version=lambda value: value,
        interval_s=10,
        clock=clock,
        on_result=results.append,
    )


def test_a_new_version_is_used_after_the_interval_and_reported() -> None:
    files, clock, results = Files(), Clock(), list[str]()
    value = reloading(files, clock, results)
    files.version = 2
    clock.now = 9
    assert value.current() == "v1"
    clock.now = 10
    assert value.current() == "v2" and results == ["loaded"]


def test_a_broken_version_is_refused_once_and_the_old_one_kept() -> None:
    files, clock, results = Files(), Clock(), list[str]()
    value = reloading(files, clock, results)
    files.version, files.broken = 2, True
    for tick in (10, 20, 30):
        clock.now = tick
        assert value.current() == "v1"
    assert results == ["refused"] and files.loads == 2  # start-up, then the one attempt
    files.version, files.broken = 3, False
    clock.now = 40
    assert value.current() == "v3" and results == ["refused", "loaded"]


def test_unreadable_files_keep_the_current_value() -> None:
    files, clock, results = Files(), Clock(), list[str]()
    value = reloading(files, clock, results)
    files.unreadable = True
    clock.now = 10
    assert value.current() == "v1" and results == []


def test_a_failure_at_start_up_raises() -> None:
    files = Files()
    files.broken = True
    with pytest.raises(ValueError, match="corrupt"):
        reloading(files, Clock(), [])
