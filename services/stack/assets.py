"""The data the stack's services need before they start, made once and reused.

- a credit model, trained on generated applications (XGBoost, as the scoring benchmark does)
  and promoted through ``CURRENT``, as an operator would with ``prescreen train`` and
  ``prescreen model promote``;
- a watch list in the SDN layout, generated;
- the directories of the document store and the e-mail outbox.

Nothing is downloaded: everything is generated from the stack's seed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from services.fraud.watchlist.synthetic import generate_list, write_sdn
from services.scoring.bench import training_table
from services.scoring.model_source import POINTER_FILE, promote
from services.scoring.training.artifact import write_artifact
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import train
from services.stack.settings import StackSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StackAssets:
    models: Path
    watchlist: Path
    documents: Path
    outbox: Path


def prepare_assets(settings: StackSettings) -> StackAssets:
    """Make what is missing; what a previous ``up`` made is kept (a trained model, the list)."""
    root = settings.state_dir / "data"
    assets = StackAssets(
        models=root / "models",
        watchlist=root / "watchlist",
        documents=root / "documents",
        outbox=root / "outbox",
    )
    for directory in (assets.documents, assets.outbox):
        directory.mkdir(parents=True, exist_ok=True)
    if not (assets.models / POINTER_FILE).exists():
        _train_model(assets.models, settings)
    if not any(assets.watchlist.glob("*")):
        assets.watchlist.mkdir(parents=True, exist_ok=True)
        write_sdn(generate_list(settings.watchlist_size, settings.seed), assets.watchlist)
    return assets


def _train_model(models: Path, settings: StackSettings) -> None:
    log.info("training the first credit model", extra={"rows": settings.model_rows})
    models.mkdir(parents=True, exist_ok=True)
    table = training_table(settings.model_rows, settings.seed)
    spec = load_spec(builtin_spec("loan-default"))
    result = train(spec, table, folds=3, seed=settings.seed, candidates=("xgboost",))
    artifact = write_artifact(result, models, extra={"data": "generated", "seed": settings.seed})
    promote(models, artifact.name)
