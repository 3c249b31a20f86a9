"""A total time budget for one webhook request, enforced by shutting its socket down.

Socket timeouts bound each read or write; a receiver that answers one byte every second passes
every one of them and could hold a delivery thread for minutes. ``total_deadline`` sets the
budget for the calling thread; the transport registers its socket with the ``Watchdog`` while
it works, and one background thread shuts down any socket still registered when its deadline
passes, which ends the blocked call at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_deadline", default=None
)


@contextlib.contextmanager
def total_deadline(seconds: float) -> Iterator[None]:
    """Bound everything the transport does on the wire inside the block to ``seconds``."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def current_deadline() -> float | None:
    """The calling thread's deadline (``time.monotonic`` seconds), if any."""
    return _deadline.get()


class Watchdog:
    """Shuts down sockets whose deadline has passed; one thread for any number of them."""

    _shared: ClassVar[Watchdog | None] = None
    _shared_lock: ClassVar = threading.Lock()

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []
        self._active: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="webhook-watchdog", daemon=True)
        self._thread.start()

    @classmethod
    def shared(cls) -> Watchdog:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = Watchdog()
            return cls._shared

    @contextlib.contextmanager
    def watching(self, sock: socket.socket, deadline: float | None) -> Iterator[None]:
        """Shut ``sock`` down if the block is still running at ``deadline``."""
        if deadline is None:
            yield
            return
        token = next(self._ids)
        with self._wake:
            self._active[token] = sock
            heapq.heappush(self._heap, (deadline, token))
            if self._heap[0][1] == token:
                self._wake.notify()
        try:
            yield
        finally:
            with self._wake:
                self._active.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                deadline, token = self._heap[0]
                wait_s = deadline - time.monotonic()
                if wait_s > 0:
                    self._wake.wait(wait_s)
                    continue
                heapq.heappop(self._heap)
                sock = self._active.pop(token, None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
