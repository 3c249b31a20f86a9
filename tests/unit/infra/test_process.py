from __future__ import annotations

import os
from pathlib import Path

from services.common.infra.process import (
    ProcessRecord,
    is_alive,
    log_tail,
    process_start_token,
    stop_recorded,
)


def test_record_round_trip(tmp_path: Path) -> None:
    record = ProcessRecord(name="kafka", pid=1234, started="linux:42", address="127.0.0.1:9092")
    path = tmp_path / "state" / "kafka.pid"
    record.save(path)
    assert ProcessRecord.load(path) == record


def test_unreadable_records_are_none(tmp_path: Path) -> None:
    assert ProcessRecord.load(tmp_path / "missing.pid") is None
    garbage = tmp_path / "garbage.pid"
    garbage.write_text("12345\n")
    assert ProcessRecord.load(garbage) is None
    partial = tmp_path / "partial.pid"
    partial.write_text('{"name": "redis", "pid": "x"}')
    assert ProcessRecord.load(partial) is None


def test_start_token_identifies_a_live_process() -> None:
    token = process_start_token(os.getpid())
    assert token is not None
    assert process_start_token(os.getpid()) == token
    assert process_start_token(os.getppid()) != token
    assert process_start_token(0) is None


def test_a_reused_pid_is_not_ours_and_is_left_alone() -> None:
    # Our own pid, but with a start time that does not match: as if the recorded process
    # had died and the pid had been given to someone else (here: the test run itself).
    impostor = ProcessRecord(name="kafka", pid=os.getpid(), started="linux:1", address="x")
    assert not is_alive(impostor)
    assert stop_recorded(impostor, grace=0.1) is False


def test_our_own_record_is_alive() -> None:
    token = process_start_token(os.getpid())
    assert token is not None
    assert is_alive(ProcessRecord(name="me", pid=os.getpid(), started=token, address="x"))


def test_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, lines=3) == "line 97\nline 98\nline 99"
    assert "no log" in log_tail(tmp_path / "missing.log")
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert "empty" in log_tail(empty)
