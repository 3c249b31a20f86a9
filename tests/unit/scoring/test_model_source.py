"""Promoting a model version and the stage picking it up between batches, without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.scoring.data.generator import generate
from services.scoring.handler import ScoringHandler, check_champion
from services.scoring.model_source import (
    POINTER_FILE,
    ModelSource,
    ModelSourceError,
    promote,
    resolve_artifact,
)
from services.scoring.policy import CreditPolicy
from services.scoring.training.artifact import write_artifact
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import train
from tests.unit.scoring.test_handler import (
    FakeBureau,
    FakeInternalData,
    RunNow,
    case,
    envelope,
    scored,
)


def write_version(models: Path, seed: int, kind: str = "logistic") -> Path:
    generated = generate(1500, seed=seed)
    table = {**generated.columns, "defaulted": generated.defaulted}
    spec = load_spec(builtin_spec("loan-default"))
    return write_artifact(train(spec, table, folds=2, candidates=(kind,)), models)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A models directory with two logistic versions and a random forest."""
    directory = tmp_path_factory.mktemp("models")
    return (
        write_version(directory, seed=1),
        write_version(directory, seed=2),
        write_version(directory, seed=3, kind="random_forest"),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_artifact_directory_stands_for_itself(models: tuple[Path, Path, Path]) -> None:
    first, _, _ = models
    assert resolve_artifact(first) == first


def test_a_models_directory_needs_a_current_file(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="CURRENT"):
        resolve_artifact(tmp_path)


@pytest.mark.parametrize("name", ["../elsewhere", "/etc", "..", "a/b", ""])
def test_current_must_name_a_directory_inside(tmp_path: Path, name: str) -> None:
    (tmp_path / POINTER_FILE).write_text(name)
    with pytest.raises(ModelSourceError, match="artifact directory name"):
        resolve_artifact(tmp_path)


def test_promote_refuses_what_does_not_load(models: tuple[Path, Path, Path]) -> None:
    first, _, _ = models
    with pytest.raises(ValueError, match="metadata"):
        promote(first.parent, "no-such-artifact")
    promote(first.parent, first.name)
    assert resolve_artifact(first.parent) == first


def test_a_promoted_version_is_used_after_the_interval(models: tuple[Path, Path, Path]) -> None:
    first, second, _ = models
    directory = first.parent
    promote(directory, first.name)
    clock, reloads = Clock(), []
    source = ModelSource(
        directory,
        check=check_champion,
        interval_s=10,
        clock=clock,
        on_reload=lambda role, result: reloads.append((role, result)),
    )
    initial = source.current()
    promote(directory, second.name)
    clock.now = 9.0
    assert source.current() is initial  # not looked at before the interval is up
    clock.now = 10.0
    assert source.current().version == second.name.rsplit("-", 1)[1]
    assert reloads == [("champion", "loaded")]


def test_a_version_the_stage_cannot_use_is_refused_once(
    models: tuple[Path, Path, Path],
) -> None:
    first, _, forest = models
    directory = first.parent
    promote(directory, first.name)
    clock, reloads = Clock(), []
    source = ModelSource(
        directory,
        check=check_champion,  # a random forest has no exact contributions
        interval_s=1,
        clock=clock,
        on_reload=lambda role, result: reloads.append((role, result)),
    )
    initial = source.current()
    promote(directory, forest.name)
    for tick in (1.0, 2.0, 3.0):
        clock.now = tick
        assert source.current() is initial
    assert reloads == [("champion", "refused")]  # remembered, not retried every check


def test_a_broken_pointer_keeps_the_current_model(models: tuple[Path, Path, Path]) -> None:
    first, _, _ = models
    directory = first.parent
    promote(directory, first.name)
    clock = Clock()
    source = ModelSource(directory, check=check_champion, interval_s=1, clock=clock)
    initial = source.current()
    (directory / POINTER_FILE).write_text("../../etc")
    clock.now = 5.0
    assert source.current() is initial
    promote(directory, first.name)


def test_a_model_that_cannot_be_checked_stops_start_up(models: tuple[Path, Path, Path]) -> None:
    _, _, forest = models
    with pytest.raises(ValueError, match="exact contributions"):
        ModelSource(forest, check=check_champion)


def test_the_stage_stamps_the_new_version_after_a_promotion(
    models: tuple[Path, Path, Path],
) -> None:
    first, second, _ = models
    directory = first.parent
    promote(directory, first.name)
    clock = Clock()
    source = ModelSource(directory, check=check_champion, interval_s=5, clock=clock)
    run = ScoringHandler(
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
        model=source,
        policy=CreditPolicy(),
        stage_version="test",
    )
    versions = []
    for tick, promoted in ((0.0, None), (1.0, second), (6.0, None)):
        if promoted is not None:
            promote(directory, promoted.name)
        clock.now = tick
        [event] = scored(run([envelope(case())]))
        versions.append(event.scoring.model_version)
    old, new = (path.name.rsplit("-", 1)[1] for path in (first, second))
    assert versions == [old, old, new]
