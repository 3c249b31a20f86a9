"""Finding a Java runtime recent enough for the Kafka broker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from services.common.infra.errors import InfraError

MIN_JAVA_MAJOR = 17

_VERSION_RE = re.compile(r'version\s+"(?P<version>[^"]+)"')
_INSTALL_HINT = (
    "On Debian/Ubuntu: apt-get install openjdk-17-jre-headless; elsewhere install a JDK or JRE "
    f"{MIN_JAVA_MAJOR}+ and put `java` on PATH or set JAVA_HOME."
)


@dataclass(frozen=True)
class JavaRuntime:
    """A ``java`` executable and its feature release number (8, 11, 17, 21, ...)."""

    executable: str
    major: int
    version: str


def parse_java_major_version(output: str) -> tuple[int, str]:
    """The feature release and full version string from ``java -version`` output.

    Handles the legacy scheme (``1.8.0_392`` is 8) and the current one (``17.0.15`` is 17,
    ``21`` is 21, ``23-ea`` is 23). Raises ``ValueError`` if no version can be found.
    """
    match = _VERSION_RE.search(output)
    if match is None:
        raise ValueError(f"no Java version in: {output.strip()[:200]!r}")
    version = match.group("version")
    numbers = re.findall(r"\d+", version)
    if not numbers:
        raise ValueError(f"unparseable Java version {version!r}")
    major = int(numbers[0])
    if major == 1 and len(numbers) > 1:
        major = int(numbers[1])
    return major, version


def _candidate_executable() -> str | None:
    java_home = os.environ.get("JAVA_HOME", "").strip()
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def find_java(min_major: int = MIN_JAVA_MAJOR) -> JavaRuntime:
    """The Java runtime to use (``$JAVA_HOME/bin/java``, else ``java`` on PATH).

    Raises ``InfraError`` with installation advice if there is none or it is too old.
    """
    executable = _candidate_executable()
    if executable is None:
        raise InfraError(f"Java {min_major}+ is needed to run the Kafka broker. {_INSTALL_HINT}")
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [executable, "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfraError(f"could not run {executable} -version: {exc}") from exc
    try:
        major, version = parse_java_major_version(result.stderr + result.stdout)
    except ValueError as exc:
        raise InfraError(f"could not tell the version of {executable}: {exc}") from exc
    if major < min_major:
        raise InfraError(
            f"{executable} is Java {version}; the Kafka broker needs Java {min_major}+. "
            + _INSTALL_HINT
        )
    return JavaRuntime(executable=executable, major=major, version=version)
