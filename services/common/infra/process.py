"""Detached child processes, their pid files and stopping them safely.

A pid file records the pid together with the process's start time as the kernel reports it.
Before signalling, the start time is read again: a pid that was reused by some other process
since then does not match and is left alone. Nothing here signals a pid it did not record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from services.common.infra.errors import InfraError

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds."""

    name: str
    pid: int
    started: str
    address: str

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ProcessRecord | None:
        """The record in ``path``, or None if there is none or it is unreadable."""
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                name=str(raw["name"]),
                pid=int(raw["pid"]),
                started=str(raw["started"]),
                address=str(raw["address"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class ProcessStatus:
    """The state of one local component, as ``prescreen infra status`` reports it."""

    name: str
    running: bool
    reachable: bool
    pid: int | None
    address: str | None
    state_dir: str
    log_file: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _proc_stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return raw[raw.rfind(")") + 2 :].split()


def process_start_token(pid: int) -> str | None:
    """An identifier of the process currently holding ``pid`` that changes when it is reused.

    None if no live (non-zombie) process has that pid.
    """
    if pid <= 0:
        return None
    if sys.platform.startswith("linux"):
        fields = _proc_stat_fields(pid)
        if fields is None or len(fields) < 20 or fields[0] in ("Z", "X"):
            return None
        return f"linux:{fields[19]}"
    ps = shutil.which("ps")
    if ps is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [ps, "-o", "stat=,lstart=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = result.stdout.strip()
    if result.returncode != 0 or not out or out.startswith("Z"):
        return None
    return "ps:" + " ".join(out.split()[1:])


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(record: ProcessRecord) -> bool:
    """Whether the process recorded in ``record`` is still the one running under its pid."""
    _reap(record.pid)
    return process_start_token(record.pid) == record.started


def spawn(
    argv: Sequence[str],
    *,
    cwd: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, stdin closed, stdout and stderr appended to ``log_path``.

    Being a session leader, it outlives the command that started it and gets no terminal signals.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        try:
            return subprocess.Popen(  # noqa: S603 - argv built by this package, no shell
                list(argv),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise InfraError(f"could not start {argv[0]}: {exc}") from exc


def record_child(name: str, child: subprocess.Popen[bytes], address: str) -> ProcessRecord:
    """The pid-file record for a child just started by ``spawn``."""
    token = process_start_token(child.pid)
    if token is None:
        code = child.poll()
        raise InfraError(f"{name} exited at once (exit code {code})")
    return ProcessRecord(name=name, pid=child.pid, started=token, address=address)


def wait_gone(record: ProcessRecord, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the recorded process to end; True if it did."""
    deadline = time.monotonic() + timeout
    while is_alive(record):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def stop_recorded(record: ProcessRecord, grace: float) -> bool:
    """Stop the recorded process: SIGTERM, then SIGKILL if it is still there after ``grace``.

    Returns True if a process was stopped, False if the record no longer matched a live process
    (already gone, or the pid now belongs to someone else, who is then left untouched).
    """
    if not is_alive(record):
        return False
    log.info("stopping %s (pid %d)", record.name, record.pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    if wait_gone(record, grace):
        return True
    if is_alive(record):
        log.warning(
            "%s (pid %d) did not stop within %.0fs; killing it", record.name, record.pid, grace
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
    if not wait_gone(record, 10.0):
        raise InfraError(f"{record.name} (pid {record.pid}) is still running after SIGKILL")
    return True


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, or a note that there is none."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    tail = data.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"({path} is empty)"


def abbreviate(text: str, head: int = 15, tail: int = 15) -> str:
    """``text`` cut to its first ``head`` and last ``tail`` lines (a Java error's message is at
    the top of its stack trace, the cause at the bottom)."""
    lines = text.strip().splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    skipped = len(lines) - head - tail
    return "\n".join([*lines[:head], f"... ({skipped} lines left out) ...", *lines[-tail:]])
