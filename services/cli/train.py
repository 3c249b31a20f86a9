"""``prescreen train``: compare the candidate models on the same folds and save the chosen one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from services.scoring.data.table import read_summary
from services.scoring.training.artifact import write_artifact
from services.scoring.training.candidates import CANDIDATES
from services.scoring.training.card import write_model_card
from services.scoring.training.datasets import DATASETS, load_table
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import train

app = typer.Typer(help="Train the credit-risk model.", no_args_is_help=True)

DEFAULT_SPECS = {"germancredit": "germancredit"}


@app.command()
def train_command(
    data: Annotated[
        Path | None, typer.Option(help="Table to train on (CSV, or TSV ending in .tsv).")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help=f"A bundled data set instead: {', '.join(DATASETS)}.")
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(help="Feature spec (YAML); default: the built-in one for the data."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for model artifacts.")] = Path("models"),
    cv: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the folds and the models.")] = 0,
    models: Annotated[str, typer.Option(help="Comma-separated candidates to compare.")] = ",".join(
        CANDIDATES
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Cross-validate logistic regression, random forest and XGBoost; keep the selected one."""
    if (data is None) == (dataset is None):
        raise typer.BadParameter("give exactly one of --data and --dataset")
    candidates = tuple(m.strip() for m in models.split(",") if m.strip())
    unknown = sorted(set(candidates) - set(CANDIDATES))
    if unknown or not candidates:
        raise typer.BadParameter(f"unknown models {unknown}; choose from {list(CANDIDATES)}")
    if dataset is not None:
        if dataset not in DATASETS:
            raise typer.BadParameter(f"unknown data set {dataset!r}; known: {list(DATASETS)}")
        path = DATASETS[dataset]()
        spec_path = spec or builtin_spec(DEFAULT_SPECS[dataset])
        oracle = None
    else:
        assert data is not None
        path = data
        spec_path = spec or builtin_spec("loan-default")
        summary = read_summary(data)
        oracle = summary.oracle_auc if summary is not None else None
    table = load_table(path)
    result = train(load_spec(spec_path), table, folds=cv, seed=seed, candidates=candidates)
    artifact = write_artifact(result, out, extra={"oracle_auc": oracle, "data": path.name})
    card = write_model_card(result, table, artifact, oracle_auc=oracle)
    report: dict[str, Any] = {
        "models": {name: c.mean for name, c in result.candidates.items()},
        "selected": result.selected,
        "auc": result.selected_auc,
        "oracle_auc": oracle,
        "auc_share_of_oracle": round(result.selected_auc / oracle, 4) if oracle else None,
        "folds": cv,
        "rows": len(result.labels),
        "calibrated": result.calibrated_metrics,
        "artifact": str(artifact),
        "version": artifact.name.rsplit("-", 1)[-1],
        "model_card": str(card),
    }
    if as_json:
        typer.echo(json.dumps(report))
        return
    for name, metrics in report["models"].items():
        marker = "*" if name == result.selected else " "
        auc, ks, brier = metrics["auc"], metrics["ks"], metrics["brier"]
        typer.echo(f"{marker} {name:14} AUC {auc:.4f}  KS {ks:.3f}  Brier {brier:.4f}")
    typer.echo(f"selected {result.selected}; artifact {artifact}")
