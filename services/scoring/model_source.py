"""Which model artifact the stage scores with, and switching to a new one without a restart.

``model_dir`` is either one artifact directory (it holds ``metadata.json``) or a directory of
artifacts with a ``CURRENT`` file naming the one to use. Promoting a version means writing its
directory name into ``CURRENT`` (``prescreen model promote`` does it atomically); the stage
notices between batches, loads and checks the new artifact, and only then switches. A version
that fails to load or to pass the stage's checks is refused and the stage keeps scoring with
the one it has: a bad promotion must not stop lending, nor leave a partition half scored.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from services.common.reloading import Reloading
from services.scoring.training.artifact import LoadedModel, load_artifact

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
        def load() -> LoadedModel:
            model = load_artifact(resolve_artifact(model_dir))
            check(model)
            return model

        report = on_reload or (lambda role, result: None)
        self._role = role
        # At start-up a model that cannot be loaded or checked stops the stage: there is no
        # earlier version to fall back on.
        self._reloading = Reloading(
            what=f"{role} model in {model_dir}",
            stamp=lambda: _stamp(model_dir),
            load=load,
            version=lambda model: model.version,
            interval_s=interval_s,
            clock=clock,
            on_result=lambda result: report(role, result),
        )

    @property
    def role(self) -> str:
        return self._role

    def current(self) -> LoadedModel:
        return self._reloading.current()
