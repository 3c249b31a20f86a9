"""A watch list that follows its files: new versions are picked up without a restart."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.models import Thresholds
from services.fraud.watchlist.sdn import LIST_FILES

logger = logging.getLogger(__name__)

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
    change.

    At most every ``interval_s`` a call to ``current`` compares the files' stamp with the one
    loaded; on a change the new list is loaded in full (index included) before it replaces
    the old one, so a caller never sees a half-built list. A list that fails to load is logged
    and the previous one kept; the failing stamp is remembered so the same broken files are
    not parsed again at every check. Failing at start-up raises: there is nothing to keep.

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
        self.interval_s = interval_s
        self._clock = clock
        self._include_entities = include_entities
        self._lock = threading.Lock()
        self._loaded = stamp(path)
        self._failed: Stamp | None = None
        self._current = self._load()
        self._checked = clock()

    def _load(self) -> Watchlist:
        return Watchlist.from_directory(
            self.path, self.thresholds, include_entities=self._include_entities
        )

    def current(self) -> Watchlist:
        """The newest list that loaded; checks the files at most every ``interval_s``."""
        now = self._clock()
        if now - self._checked < self.interval_s:
            return self._current
        # One caller checks; the others go on with the list they have.
        if not self._lock.acquire(blocking=False):
            return self._current
        try:
            self._checked = now
            seen = stamp(self.path)
            if seen not in (self._loaded, self._failed):
                self._reload(seen)
        finally:
            self._lock.release()
        return self._current

    def _reload(self, seen: Stamp) -> None:
        try:
            fresh = self._load()
        except Exception:  # whatever broke the new files, the old list stands
            logger.exception(
                "watch list in %s did not load; still screening with version %s",
                self.path,
                self._current.version,
            )
            self._failed = seen
            return
        logger.info(
            "watch list in %s reloaded: version %s -> %s, %d names",
            self.path,
            self._current.version,
            fresh.version,
            fresh.size,
        )
        self._current, self._loaded, self._failed = fresh, seen, None
