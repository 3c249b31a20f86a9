"""Fetching the Kafka broker jars from Maven Central into the project-local cache."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from services.common.infra.errors import InfraError
from services.common.infra.kafka_config import DEFAULT_KAFKA_VERSION
from services.common.infra.locking import file_lock
from services.common.infra.paths import cache_dir, repo_root
from services.common.infra.process import abbreviate

log = logging.getLogger(__name__)

SCALA_BINARY_VERSION = "2.13"
POM_RELATIVE_PATH = Path("deploy") / "local" / "kafka" / "pom.xml"
_COMPLETE_MARKER = ".complete"


def kafka_libs_dir(version: str = DEFAULT_KAFKA_VERSION, cache: Path | None = None) -> Path:
    """Where the broker jars of ``version`` live (or will live) in the cache."""
    return (cache or cache_dir()) / "kafka" / version / "libs"


def broker_jar_name(version: str) -> str:
    """The file name of the broker's own jar, e.g. ``kafka_2.13-4.1.1.jar``."""
    return f"kafka_{SCALA_BINARY_VERSION}-{version}.jar"


def _libs_complete(libs: Path, version: str) -> bool:
    return (libs / _COMPLETE_MARKER).is_file() and (libs / broker_jar_name(version)).is_file()


def install_kafka(
    version: str = DEFAULT_KAFKA_VERSION,
    *,
    cache: Path | None = None,
    force: bool = False,
) -> Path:
    """Fetch the broker jars of ``version`` from Maven Central into the cache; return their dir.

    Does nothing when they are already there (unless ``force``). Safe to call from several
    processes at once: one installs, the others wait for it.
    """
    libs = kafka_libs_dir(version, cache)
    if not force and _libs_complete(libs, version):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError(
            "Maven (`mvn`) is needed to fetch the Kafka broker jars. On Debian/Ubuntu: "
            "apt-get install maven; elsewhere install Apache Maven 3.8+."
        )
    pom = repo_root() / POM_RELATIVE_PATH
    if not pom.is_file():
        raise InfraError(f"{POM_RELATIVE_PATH} is missing from the checkout at {repo_root()}")
    libs.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(libs.parent / ".install.lock"):
        if not force and _libs_complete(libs, version):
            return libs
        staging = libs.parent / f"libs.staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        argv = [
            mvn,
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            f"-Dkafka.version={version}",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
        log.info("fetching Kafka %s broker jars with Maven into %s", version, libs)
        result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0 or not (staging / broker_jar_name(version)).is_file():
            shutil.rmtree(staging, ignore_errors=True)
            output = abbreviate(result.stdout + result.stderr, head=20, tail=20)
            raise InfraError(
                f"Maven could not fetch Kafka {version} (exit code {result.returncode}):\n{output}"
            )
        (staging / _COMPLETE_MARKER).write_text(version + "\n", encoding="utf-8")
        shutil.rmtree(libs, ignore_errors=True)
        staging.replace(libs)
    return libs
