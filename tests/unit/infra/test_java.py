from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from services.common.infra import InfraError, find_java, parse_java_major_version

OPENJDK_17 = """openjdk version "17.0.15" 2025-04-15
OpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)
OpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)
"""


@pytest.mark.parametrize(
    ("output", "major", "version"),
    [
        (OPENJDK_17, 17, "17.0.15"),
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8, "1.8.0_392"),
        ('openjdk version "11.0.2" 2019-01-15', 11, "11.0.2"),
        ('openjdk version "21" 2023-09-19', 21, "21"),
        ('openjdk version "23-ea" 2024-09-17', 23, "23-ea"),
        ('Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "25.0.1" 2025-10-21', 25, "25.0.1"),
    ],
)
def test_parse_java_major_version(output: str, major: int, version: str) -> None:
    assert parse_java_major_version(output) == (major, version)


@pytest.mark.parametrize("output", ["", "bash: java: command not found", 'version "beta"'])
def test_parse_java_major_version_rejects_garbage(output: str) -> None:
    with pytest.raises(ValueError):
        parse_java_major_version(output)


def _fake_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stderr: str) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    executable = home / "bin" / "java"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))

    def fake_run(argv: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert argv == [str(executable), "-version"]
        return subprocess.CompletedProcess(argv, 0, stdout="", stderr=stderr)

    monkeypatch.setattr(subprocess, "run", fake_run)
    return executable


def test_find_java_prefers_java_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    executable = _fake_java(monkeypatch, tmp_path, OPENJDK_17)
    runtime = find_java()
    assert runtime.executable == str(executable)
    assert runtime.major == 17


def test_find_java_rejects_old_java_with_advice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _fake_java(monkeypatch, tmp_path, 'openjdk version "11.0.2" 2019-01-15')
    with pytest.raises(InfraError, match=r"needs Java 17\+.*openjdk-17"):
        find_java()


def test_find_java_without_any_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InfraError, match="Java 17"):
        find_java()
