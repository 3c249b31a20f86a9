"""The lifecycle shared by the local servers, with a plain Python process standing in."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.common.infra import InfraError
from services.common.infra.server import LocalServer

_SLEEPER = "import sys, time; print('sleeper up', flush=True); time.sleep(60)"


class _Sleeper(LocalServer):
    """A "server" that is a sleeping Python process; it answers once ``ready`` says so."""

    name = "sleeper"
    kind = "sleeper"
    startup_grace = 2.0

    def __init__(self, state_dir: Path, address: str = "local:1", code: str = _SLEEPER) -> None:
        super().__init__(state_dir)
        self._address = address
        self.code = code
        self.ready: Callable[[], bool] = lambda: True
        self.waits: list[float] = []

    @property
    def address(self) -> str:
        return self._address

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "sleeper.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "sleeper.log"

    def _wait(self, timeout: float, still_starting: Callable[[], bool] | None = None) -> None:
        self.waits.append(timeout)
        deadline = time.monotonic() + timeout
        while not self.ready():
            if still_starting is not None and not still_starting():
                raise InfraError("the sleeper exited while starting")
            if time.monotonic() >= deadline:
                raise InfraError(f"no sleeper answered at {self.address}")
            time.sleep(0.05)

    def _reachable(self, address: str) -> bool:
        return address == self.address

    def _start_new(self, timeout: float) -> None:
        self._launch([sys.executable, "-c", self.code], self.log_file, timeout)


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[_Sleeper]:
    server = _Sleeper(tmp_path / "state")
    yield server
    server.stop(grace=5.0)


def test_start_status_reuse_and_stop(sleeper: _Sleeper) -> None:
    assert sleeper.status().running is False
    assert sleeper.start(timeout=3.0) == "local:1"
    status = sleeper.status()
    assert status.running and status.reachable
    assert status.address == "local:1"
    assert status.state_dir == str(sleeper.state_dir)
    record = sleeper.record()
    assert record is not None and record.name == "sleeper"

    again = _Sleeper(sleeper.state_dir)
    assert again.start(timeout=4.0) == "local:1"
    assert again.status().pid == record.pid  # reused, not started twice
    assert again.waits == [4.0]

    assert again.stop(grace=5.0) is True
    assert not sleeper.pid_file.exists()
    assert sleeper.status().running is False
    assert sleeper.stop(grace=5.0) is False


def test_another_address_from_the_same_state_dir_is_refused(sleeper: _Sleeper) -> None:
    sleeper.start(timeout=3.0)
    other = _Sleeper(sleeper.state_dir, address="local:2")
    with pytest.raises(InfraError, match=r"a sleeper from .* already runs at local:1 \(pid \d+\)"):
        other.start(timeout=3.0)
    assert sleeper.status().running


def test_a_server_that_never_answers_is_stopped_with_its_log(sleeper: _Sleeper) -> None:
    sleeper.ready = lambda: False
    with pytest.raises(InfraError, match=r"(?s)no sleeper answered.*\(tail\) ---\nsleeper up"):
        sleeper.start(timeout=1.0)
    assert not sleeper.pid_file.exists()
    assert sleeper.status().running is False


def test_a_server_that_exits_while_starting(tmp_path: Path) -> None:
    server = _Sleeper(tmp_path, code="import sys; print('bad config'); sys.exit(3)")
    server.ready = lambda: False
    with pytest.raises(InfraError, match=r"(?s)exited at once|exited while starting"):
        server.start(timeout=3.0)
    assert not server.pid_file.exists()
