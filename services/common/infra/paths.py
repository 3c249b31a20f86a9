"""Where the project lives and where the local infrastructure keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "PRESCREEN_CACHE_DIR"
STATE_ENV = "PRESCREEN_STATE_DIR"

_MARKER = "pyproject.toml"


def _looks_like_repo(path: Path) -> bool:
    return (path / _MARKER).is_file() and (path / "services").is_dir()


def repo_root() -> Path:
    """The checkout this package belongs to.

    Derived from the package location (an editable install, the normal case), falling back to
    the nearest parent of the working directory that looks like the project, then to the
    working directory itself.
    """
    from_package = Path(__file__).resolve().parents[3]
    if _looks_like_repo(from_package):
        return from_package
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _looks_like_repo(candidate):
            return candidate
    return cwd


def cache_dir() -> Path:
    """Downloaded artefacts (the broker jars): ``$PRESCREEN_CACHE_DIR`` or ``<repo>/.cache``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    return repo_root() / ".cache"


def state_root() -> Path:
    """Runtime state (configs, data, logs, pid files): ``$PRESCREEN_STATE_DIR`` or
    ``<repo>/.local/infra``; each component uses a subdirectory named after it."""
    configured = os.environ.get(STATE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    return repo_root() / ".local" / "infra"
