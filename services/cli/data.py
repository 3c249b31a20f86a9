"""``prescreen data``: make the synthetic historical applications table."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from services.scoring.data.generator import generate
from services.scoring.data.table import write_table

app = typer.Typer(help="Synthetic training data.", no_args_is_help=True)


@app.command("generate")
def generate_command(
    rows: Annotated[int, typer.Option(min=1, max=10_000_000, help="Applications to draw.")],
    seed: Annotated[int, typer.Option(min=0, help="Seed; the same seed gives the same table.")],
    out: Annotated[Path, typer.Option(help="Table file: CSV, or TSV when it ends in .tsv.")] = Path(
        "data/applications.csv"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write a synthetic applications table (21 historical columns + ``defaulted``)."""
    summary = write_table(generate(rows, seed), out, seed=seed)
    if as_json:
        typer.echo(json.dumps(asdict(summary)))
        return
    typer.echo(
        f"{summary.rows} rows -> {summary.path}: default rate {summary.default_rate:.2%}, "
        f"approval rate {summary.approval_rate:.2%}, best possible AUC {summary.oracle_auc:.3f}"
    )
