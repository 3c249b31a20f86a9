"""Which model artifact the stage scores with, and switching to a new one without a restart.

``model_dir`` is either one artifact directory (it holds ``metadata.json``) or a directory of
artifacts with a ``CURRENT`` file naming the one to use. Promoting a version means writing its
directory name into ``CURRENT`` (``prescreen model promote`` does it atomically); the stage
notices between batches, loads and checks the new artifact, and only then switches. A version
that fails to load or to pass the stage's checks is refused and the stage keeps scoring with
the one it has: a bad promotion must not stop lending, nor leave a partition half scored.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from services.scoring.training.artifact import LoadedModel, load_artifact

log = logging.getLogger(__name__)

POINTER_FILE: Final = "CURRENT"
_ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

ModelCheck = Callable[[LoadedModel], None]
"""Raises ``ValueError`` when the stage cannot score with a model."""


class ModelSourceError(ValueError):
    """``model_dir`` names no usable artifact."""


@dataclass(frozen=True)
class _Stamp:
    """What changes when an operator promotes or replaces an artifact."""

    artifact: Path
    modified_ns: int
    inode: int


def resolve_artifact(model_dir: Path) -> Path:
    """The artifact directory ``model_dir`` stands for: itself, or the one ``CURRENT`` names."""
    if (model_dir / "metadata.json").is_file():
        return model_dir
    pointer = model_dir / POINTER_FILE
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as error:
        raise ModelSourceError(
            f"{model_dir} is neither a model artifact (no metadata.json) "
            f"nor a directory of artifacts with a {POINTER_FILE} file"
        ) from error
    # A bare directory name: the pointer must not lead outside the models directory.
    if not _ARTIFACT_NAME.match(name) or name in {".", ".."}:
        raise ModelSourceError(f"{pointer} must hold an artifact directory name, got {name!r}")
    return model_dir / name


def promote(model_dir: Path, artifact_name: str) -> Path:
    """Point ``model_dir/CURRENT`` at ``artifact_name`` after checking that it loads."""
    if not _ARTIFACT_NAME.match(artifact_name) or artifact_name in {".", ".."}:
        raise ModelSourceError(f"not an artifact directory name: {artifact_name!r}")
    target = model_dir / artifact_name
    load_artifact(target)  # refuse to point at something the stage would refuse anyway
    staging = model_dir / f".{POINTER_FILE}.{os.getpid()}"
    staging.write_text(f"{artifact_name}\n", encoding="utf-8")
    os.replace(staging, model_dir / POINTER_FILE)  # atomic: readers see old or new, never half
    return target


def _stamp(model_dir: Path) -> _Stamp:
    artifact = resolve_artifact(model_dir)
    stat = (artifact / "metadata.json").stat()
    return _Stamp(artifact, stat.st_mtime_ns, stat.st_ino)


class ModelSource:
    """The current model of one role (champion or challenger), reloaded when it changes.

    ``current()`` is called once per batch; at most every ``interval_s`` seconds it looks at the
    files (two ``stat`` calls), so checking costs nothing measurable.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        check: ModelCheck,
        role: str = "champion",
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        on_reload: Callable[[str, str], None] | None = None,
    ) -> None:
        self._dir = model_dir
        self._check = check
        self._role = role
        self._interval_s = interval_s
        self._clock = clock
        self._on_reload = on_reload or (lambda role, result: None)
        # At start-up a model that cannot be loaded or checked stops the stage: there is no
        # earlier version to fall back on.
        self._stamp = _stamp(model_dir)
        self._model = self._load(self._stamp.artifact)
        self._refused: _Stamp | None = None
        self._checked_at = clock()

    @property
    def role(self) -> str:
        return self._role

    def current(self) -> LoadedModel:
        now = self._clock()
        if now - self._checked_at >= self._interval_s:
            self._checked_at = now
            self._maybe_reload()
        return self._model

    def _load(self, artifact: Path) -> LoadedModel:
        model = load_artifact(artifact)
        self._check(model)
        return model

    def _maybe_reload(self) -> None:
        try:
            stamp = _stamp(self._dir)
        except (OSError, ModelSourceError) as error:
            log.error("model directory unreadable; keeping the current model", exc_info=error)
            return
        if stamp == self._stamp or stamp == self._refused:
            return
        try:
            model = self._load(stamp.artifact)
        except Exception:  # whatever is wrong with it, the stage must go on
            # Remembered, so the same broken promotion is not retried (and logged) every check.
            self._refused = stamp
            self._on_reload(self._role, "refused")
            log.exception(
                "new model version refused; keeping the current one",
                extra={"role": self._role, "artifact": stamp.artifact.name},
            )
            return
        previous = self._model.version
        self._model, self._stamp, self._refused = model, stamp, None
        self._on_reload(self._role, "loaded")
        log.info(
            "model reloaded",
            extra={"role": self._role, "from_version": previous, "to_version": model.version},
        )
