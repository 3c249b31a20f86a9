"""What the local servers (the Kafka broker, the Redis server) share: a detached process whose
pid file, logs and lifecycle lock live in one state directory.

``LocalServer.start`` reuses the process this state directory recorded if it still runs at the
same address, and otherwise asks the subclass to start a new one (``_start_new``), which
usually ends with ``_launch``. Only processes recorded in the pid file are ever stopped.
"""

from __future__ import annotations

import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

from services.common.infra import process
from services.common.infra.errors import InfraError
from services.common.infra.locking import file_lock
from services.common.infra.paths import state_root


class LocalServer(ABC):
    """One local server process kept in ``state_dir`` (default ``<state root>/<name>``).

    Subclasses name it (``name``, and ``kind`` for error messages), say where it answers
    (``address``) and where its files are (``pid_file``, ``log_file``), and how to start it
    (``_start_new``) and wait for it (``_wait``, ``_reachable``).
    """

    name: str
    """The component's name: the default state directory and the name in its pid file."""
    kind: str
    """How error messages call a running instance ("a <kind> from <state dir> already runs")."""
    startup_grace: float = 10.0
    """How long a process that failed to come up gets to stop before it is killed."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self.state_dir = (state_dir or state_root() / self.name).resolve()
        self._child: subprocess.Popen[bytes] | None = None

    # -- what each server says about itself ------------------------------------------------

    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients reach the server (what ``start`` returns and the pid file records)."""

    @property
    @abstractmethod
    def pid_file(self) -> Path: ...

    @property
    @abstractmethod
    def log_file(self) -> Path: ...

    @abstractmethod
    def _wait(self, timeout: float, still_starting: Callable[[], bool] | None = None) -> None:
        """Return once the server at ``address`` answers; else ``InfraError``."""

    @abstractmethod
    def _reachable(self, address: str) -> bool:
        """Whether a server answers at ``address`` now (for ``status``)."""

    @abstractmethod
    def _start_new(self, timeout: float) -> None:
        """Start a new process (nothing of this state directory runs) and wait for it."""

    def describe_logs(self) -> str:
        """The tail of the server's log, for error messages."""
        return f"--- {self.log_file} (tail) ---\n{process.log_tail(self.log_file)}"

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def _lifecycle_lock(self) -> Path:
        return self.state_dir / ".lifecycle.lock"

    def record(self) -> process.ProcessRecord | None:
        """The pid-file record if it still describes a running server."""
        record = process.ProcessRecord.load(self.pid_file)
        if record is not None and process.is_alive(record):
            return record
        return None

    def start(self, timeout: float) -> str:
        """Start the server (or reuse this state directory's running one); return its address."""
        with file_lock(self._lifecycle_lock):
            running = self.record()
            if running is not None:
                if running.address != self.address:
                    raise InfraError(
                        f"a {self.kind} from {self.state_dir} already runs at {running.address} "
                        f"(pid {running.pid}); stop it first (prescreen infra down)"
                    )
                self._wait(timeout)
                return self.address
            self._start_new(timeout)
        return self.address

    def _launch(self, argv: Sequence[str], output: Path, timeout: float) -> None:
        """Spawn ``argv`` (stdout and stderr to ``output``), record it and wait until it answers.

        If it does not come up (or waiting is interrupted) it is stopped again and the pid file
        removed; an ``InfraError`` then carries the tails of the logs.
        """
        child = process.spawn(argv, cwd=self.state_dir, log_path=output)
        self._child = child
        record = process.record_child(self.name, child, self.address)
        record.save(self.pid_file)
        try:
            self._wait(timeout, still_starting=lambda: child.poll() is None)
        except BaseException as exc:  # not ready, or interrupted: leave nothing running
            process.stop_recorded(record, grace=self.startup_grace)
            self.pid_file.unlink(missing_ok=True)
            if isinstance(exc, InfraError):
                raise InfraError(f"{exc}\n{self.describe_logs()}") from exc
            raise

    def stop(self, grace: float) -> bool:
        """Stop the server this state directory recorded; True if one was running."""
        with file_lock(self._lifecycle_lock):
            record = process.ProcessRecord.load(self.pid_file)
            stopped = False
            if record is not None:
                stopped = process.stop_recorded(record, grace)
                self.pid_file.unlink(missing_ok=True)
            if self._child is not None:
                self._child.poll()
                self._child = None
            return stopped

    def status(self) -> process.ProcessStatus:
        record = self.record()
        return process.ProcessStatus(
            name=self.name,
            running=record is not None,
            reachable=record is not None and self._reachable(record.address),
            pid=record.pid if record else None,
            address=record.address if record else None,
            state_dir=str(self.state_dir),
            log_file=str(self.log_file),
        )
