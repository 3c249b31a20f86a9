"""Something loaded from files that a running service swaps for a new version without a restart:
the scoring model, the watch lists.

``current()`` is called on the hot path (once per batch or per query). At most every
``interval_s`` it takes a cheap stamp of the files (a few ``stat`` calls); when the stamp
changed, the new version is loaded in full, and checked, before it replaces the old one, so a
caller never sees a half-built value. A version that fails to load is logged, counted, and
remembered by its stamp so the same broken files are not loaded again at every check; the
service keeps what it has. Failing at start-up raises: there is nothing to keep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

ReloadResult = Callable[[str], None]
"""Told ``"loaded"`` or ``"refused"`` for every new version seen, e.g. to count it."""


class Reloading(Generic[T]):
    def __init__(
        self,
        *,
        what: str,
        stamp: Callable[[], Hashable],
        load: Callable[[], T],
        version: Callable[[T], str],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_result: ReloadResult | None = None,
    ) -> None:
        """``stamp`` reads the files' identity cheaply and may raise ``OSError``; ``load``
        builds and checks a value from them; ``version`` names a value in logs."""
        self._what = what
        self._stamp = stamp
        self._load = load
        self._version = version
        self._interval_s = interval_s
        self._clock = clock
        self._on_result = on_result or (lambda result: None)
        self._lock = threading.Lock()
        self._loaded = stamp()
        self._current = load()
        self._refused: Hashable | None = None
        self._checked_at = clock()

    def current(self) -> T:
        now = self._clock()
        if now - self._checked_at < self._interval_s:
            return self._current
        # One caller checks; the others go on with what they have.
        if not self._lock.acquire(blocking=False):
            return self._current
        try:
            self._checked_at = now
            self._maybe_reload()
        finally:
            self._lock.release()
        return self._current

    def _maybe_reload(self) -> None:
        try:
            seen = self._stamp()
        except Exception:  # unreadable now (a pointer mid-edit, a lost mount): keep what works
            log.exception("%s unreadable; keeping version %s", self._what, self._version_now())
            return
        if seen in (self._loaded, self._refused):
            return
        try:
            fresh = self._load()
        except Exception:  # whatever broke the new version, the current one stands
            self._refused = seen
            self._on_result("refused")
            log.exception("new %s refused; keeping version %s", self._what, self._version_now())
            return
        log.info(
            "%s reloaded: version %s -> %s",
            self._what,
            self._version_now(),
            self._version(fresh),
        )
        self._current, self._loaded, self._refused = fresh, seen, None
        self._on_result("loaded")

    def _version_now(self) -> str:
        return self._version(self._current)
