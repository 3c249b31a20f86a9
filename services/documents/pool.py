"""OCR and PDF parsing on a pool of worker processes, results in submission order.

OCR is CPU-bound and Tesseract runs with one thread (``OMP_THREAD_LIMIT=1``), so the stage
spreads a batch's files over processes. Results come back in the order the files were given,
whatever order the workers finish in, so the handler's output order (and with it per-key
ordering on the output topic) never depends on timing. Nothing a worker does is visible outside
the stage until the runtime commits the batch's transaction: a crash anywhere in between
replays the batch, and extraction is deterministic, so the replay emits the same result.

Workers are started with ``spawn`` (forking a process that runs Kafka client threads is
unsafe) and ask the kernel to kill them when the stage process dies, so a SIGKILLed pod leaves
no orphaned OCR behind. A file that takes longer than its budget is recorded as timed out and
the pool is replaced, since a stuck worker cannot be interrupted any other way.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool
from typing import Final

from services.documents.extract.files import UnreadableDocumentError, extract_file
from services.documents.extract.words import tesseract_version
from services.documents.ports import Extraction, StoredFile

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG: Final = 1
TASKS_PER_WORKER: Final = 500
"""Workers are recycled after this many files, bounding what a leak in a C library can grow to."""


def _die_with_parent(parent_pid: int) -> None:
    """Pool initializer: the kernel kills this worker when the stage process dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _extract(data: bytes, content_type: str, max_pages: int) -> Extraction:
    try:
        return Extraction(pages=tuple(extract_file(data, content_type, max_pages=max_pages)))
    except UnreadableDocumentError as exc:
        return Extraction(failure=str(exc))


class ExtractionPool:
    """Reads files on ``workers`` processes; ``workers=0`` reads them in the calling process."""

    def __init__(self, workers: int, *, max_pages: int, file_timeout_s: float) -> None:
        if workers < 0:
            raise ValueError("workers must be 0 (in process) or more")
        if file_timeout_s <= 0:
            raise ValueError("file_timeout_s must be positive")
        self._workers = workers
        self._max_pages = max_pages
        self._file_timeout_s = file_timeout_s
        self._pool: Pool | None = None

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """The live workers' process ids (for the logs and the crash tests)."""
        if self._pool is None:
            return ()
        # multiprocessing.Pool has no public accessor for its worker processes.
        workers = getattr(self._pool, "_pool", ())
        return tuple(p.pid for p in workers if p.pid is not None)

    @property
    def version(self) -> str:
        return f"local+tesseract-{tesseract_version()}"

    def extract(self, jobs: Sequence[StoredFile]) -> list[Extraction]:
        """Every file's extraction, in the order of ``jobs``."""
        if self._workers == 0:
            return [_extract(job.data, job.reference.content_type, self._max_pages) for job in jobs]
        results: dict[int, Extraction] = {}
        pending = list(range(len(jobs)))
        while pending:
            pool = self._running()
            submitted: dict[int, AsyncResult[Extraction]] = {
                index: pool.apply_async(
                    _extract,
                    (jobs[index].data, jobs[index].reference.content_type, self._max_pages),
                )
                for index in pending
            }
            pending = self._collect(submitted, results)
        return [results[index] for index in range(len(jobs))]

    def _collect(
        self, submitted: dict[int, AsyncResult[Extraction]], results: dict[int, Extraction]
    ) -> list[int]:
        """Wait for each result in order; on a time-out, keep what finished, replace the pool
        and return the indices still to do."""
        for index, pending in submitted.items():
            try:
                results[index] = pending.get(timeout=self._file_timeout_s)
            except multiprocessing.TimeoutError:
                log.warning(
                    "document extraction timed out; replacing the worker pool",
                    extra={"timeout_s": self._file_timeout_s},
                )
                results[index] = Extraction(
                    failure=f"extraction took longer than {self._file_timeout_s:g} s",
                    timed_out=True,
                )
                for other, result in submitted.items():
                    if other not in results and result.ready():
                        results[other] = result.get()
                self._replace()
                return [other for other in submitted if other not in results]
        return []

    def _running(self) -> Pool:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(
                self._workers,
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
                maxtasksperchild=TASKS_PER_WORKER,
            )
            log.info(
                "document extraction pool started",
                extra={"workers": self._workers, "worker_pids": list(self.worker_pids)},
            )
        return self._pool

    def _replace(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def close(self) -> None:
        """Stop the workers (on shutdown)."""
        if self._pool is not None:
            with contextlib.suppress(Exception):
                self._pool.close()
                self._pool.join()
            self._pool = None
