from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from services.common.infra import (
    InfraError,
    cache_dir,
    install_kafka,
    kafka_install,
    kafka_libs_dir,
    repo_root,
    state_root,
)


def test_repo_root_is_this_checkout() -> None:
    root = repo_root()
    assert (root / "pyproject.toml").is_file()
    assert (root / "services" / "common" / "infra" / "__init__.py").is_file()
    assert (root / "deploy" / "local" / "kafka" / "pom.xml").is_file()


def test_default_locations_are_inside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESCREEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("PRESCREEN_STATE_DIR", raising=False)
    assert cache_dir() == repo_root() / ".cache"
    assert state_root() == repo_root() / ".local" / "infra"
    assert kafka_libs_dir("4.1.1") == repo_root() / ".cache" / "kafka" / "4.1.1" / "libs"


def test_environment_overrides_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESCREEN_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("PRESCREEN_STATE_DIR", str(tmp_path / "s"))
    assert cache_dir() == tmp_path / "c"
    assert state_root() == tmp_path / "s"
    assert kafka_libs_dir("9.9.9") == tmp_path / "c" / "kafka" / "9.9.9" / "libs"


def test_install_is_skipped_when_the_jars_are_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    libs = kafka_libs_dir("9.9.9", tmp_path)
    libs.mkdir(parents=True)
    (libs / "kafka_2.13-9.9.9.jar").write_bytes(b"jar")
    (libs / ".complete").write_text("9.9.9\n")
    monkeypatch.setattr(shutil, "which", lambda _: None)  # Maven is not needed
    assert install_kafka("9.9.9", cache=tmp_path) == libs


def test_install_without_maven_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    libs = kafka_libs_dir("9.9.9", tmp_path)
    libs.mkdir(parents=True)
    (libs / "kafka_2.13-9.9.9.jar").write_bytes(b"half-finished download, no marker")
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(InfraError, match="apt-get install maven"):
        install_kafka("9.9.9", cache=tmp_path)


def test_the_pom_takes_the_version_as_a_property() -> None:
    pom = (repo_root() / kafka_install.POM_RELATIVE_PATH).read_text()
    assert "<artifactId>kafka_${scala.binary.version}</artifactId>" in pom
    assert "<version>${kafka.version}</version>" in pom
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in pom
