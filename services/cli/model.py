"""``prescreen model``: promote a trained model version for the scoring stage to pick up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from services.scoring.model_source import POINTER_FILE, ModelSourceError, promote
from services.scoring.training.artifact import load_artifact

app = typer.Typer(help="Model versions for the scoring stage.", no_args_is_help=True)


@app.command("promote")
def promote_command(
    models: Annotated[
        Path, typer.Argument(help="The directory `prescreen train --out` wrote into.")
    ],
    artifact: Annotated[str, typer.Argument(help="Artifact directory name, <spec>-<version>.")],
) -> None:
    """Point CURRENT at a verified artifact; stages reading MODELS switch at their next check."""
    try:
        target = promote(models, artifact)
    except (ModelSourceError, ValueError, OSError) as error:
        typer.echo(f"not promoted: {error}", err=True)
        raise typer.Exit(code=1) from error
    loaded = load_artifact(target)
    typer.echo(
        json.dumps(
            {
                "promoted": target.name,
                "model": loaded.kind,
                "version": loaded.version,
                "pointer": str(models / POINTER_FILE),
            }
        )
    )
