"""A watch list that follows its files: new versions are picked up without a restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from services.common.reloading import Reloading
from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.models import Thresholds
from services.fraud.watchlist.sdn import LIST_FILES

Stamp = tuple[tuple[str, int, int], ...]


def stamp(path: Path) -> Stamp:
    """(name, size, mtime_ns) of every list file present: cheap to take, changes with them."""
    found = []
    for name in LIST_FILES:
        try:
            info = (path / name).stat()
        except FileNotFoundError:
            continue
        found.append((name, info.st_size, info.st_mtime_ns))
    return tuple(found)


class WatchlistSource:
    """Holds the current ``Watchlist`` of a directory and swaps in a new one when the files
    change (``services.common.reloading``): the new list is loaded in full, index included,
    before it replaces the old one, and a list that fails to load leaves the old one in place.

    Replace list files by writing a new file and renaming it over the old one: a reader that
    catches a file half-written may load a shorter list without noticing.
    """

    def __init__(
        self,
        path: Path,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen model, safe as a default
        *,
        interval_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        include_entities: bool = False,
    ) -> None:
        self.path = path
        self.thresholds = thresholds
        self._reloading = Reloading(
            what=f"watch list in {path}",
            stamp=lambda: stamp(path),
            load=lambda: Watchlist.from_directory(
                path, thresholds, include_entities=include_entities
            ),
            version=lambda watchlist: f"{watchlist.version} ({watchlist.size} names)",
            interval_s=interval_s,
            clock=clock,
        )

    def current(self) -> Watchlist:
        """The newest list that loaded; checks the files at most every ``interval_s``."""
        return self._reloading.current()
