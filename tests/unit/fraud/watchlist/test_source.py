"""Reloading: new files are picked up between checks, broken ones never replace a good list."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from services.common import reloading
from services.fraud.watchlist import ScreeningQuery, WatchlistSource
from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.sdn import ListFormatError

HEADER = "id,name,date_of_birth,country,reason\n"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def write(directory: Path, *rows: str) -> None:
    # A new file renamed over the old one, as the source asks of whoever updates the list.
    temporary = directory / "denylist.csv.tmp"
    temporary.write_text(HEADER + "".join(f"{row}\n" for row in rows))
    temporary.replace(directory / "denylist.csv")


def uids(source: WatchlistSource, name: str) -> list[str]:
    return [m.uid for m in source.current().screen(ScreeningQuery(name=name))]


def test_a_changed_list_is_loaded_at_the_next_check(tmp_path: Path) -> None:
    write(tmp_path, "d1,Ann Lindqvist,,,")
    clock = Clock()
    source = WatchlistSource(tmp_path, interval_s=30.0, clock=clock)
    first = source.current()
    write(tmp_path, "d1,Ann Lindqvist,,,", "d2,Boris Kalenko,,,")
    clock.now += 10
    assert source.current() is first  # not yet time to look
    assert uids(source, "Boris Kalenko") == []
    clock.now += 25
    assert source.current() is not first
    assert uids(source, "Boris Kalenko") == ["deny:d2"]
    assert source.current().version != first.version


def test_a_broken_list_is_logged_and_the_old_one_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "d1,Ann Lindqvist,,,")
    clock = Clock()
    source = WatchlistSource(tmp_path, interval_s=5.0, clock=clock)
    good = source.current()
    write(tmp_path, "d1,Ann Lindqvist,not-a-date,,")
    clock.now += 6
    with caplog.at_level(logging.ERROR, logger=reloading.__name__):
        assert source.current() is good
    [record] = caplog.records
    assert "refused" in record.getMessage() and record.exc_info is not None
    assert isinstance(record.exc_info[1], ListFormatError)

    # The same broken files are not parsed again at every check.
    loads = 0
    real = Watchlist.from_directory

    def counting(*args: Any, **kwargs: Any) -> Watchlist:
        nonlocal loads
        loads += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(Watchlist, "from_directory", counting)
    clock.now += 6
    assert source.current() is good and loads == 0
    write(tmp_path, "d1,Ann Lindqvist,,,", "d3,Carla Mendes Rocha,,,")
    clock.now += 6
    assert uids(source, "Carla Mendes Rocha") == ["deny:d3"] and loads == 1


def test_an_unchanged_directory_is_not_reloaded(tmp_path: Path) -> None:
    write(tmp_path, "d1,Ann Lindqvist,,,")
    clock = Clock()
    source = WatchlistSource(tmp_path, interval_s=1.0, clock=clock)
    first = source.current()
    clock.now += 5
    assert source.current() is first


def test_a_list_that_cannot_load_at_start_up_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        WatchlistSource(tmp_path)
    write(tmp_path, "d1,,,,")
    with pytest.raises(ListFormatError):
        WatchlistSource(tmp_path)
