"""``prescreen documents``: the local document extraction pipeline."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import orjson
import typer

from services.documents.extract.evaluation import evaluate as run_evaluation

app = typer.Typer(help="Document extraction: measure it on synthetic documents.")


@app.callback()
def documents() -> None:
    """Document extraction commands."""


@app.command("evaluate")
def evaluate(
    samples: Annotated[
        int, typer.Option(min=1, help="Synthetic applicants (7 documents each).")
    ] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the sample set.")] = 1,
    workdir: Annotated[
        Path | None, typer.Option(help="Keep the generated documents here; default: a temp dir.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Classification and field accuracy, digital and scanned, and seconds per page."""
    if workdir is not None:
        result = run_evaluation(samples, seed, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="documents-eval-") as scratch:
            result = run_evaluation(samples, seed, Path(scratch))
    if json_output:
        typer.echo(orjson.dumps(result).decode())
        return
    for key, value in result.items():
        typer.echo(f"{key}: {value}")
