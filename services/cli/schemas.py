"""``prescreen schemas``: export the event contracts and the ingest OpenAPI document, and check
the committed copies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from services.common.schema_export import SchemaCheckReport, check_schemas, export_schemas

app = typer.Typer(
    name="schemas",
    help=(
        "Export the JSON Schemas and AsyncAPI document of every topic and the OpenAPI "
        "document of the ingest API, or check them."
    ),
    no_args_is_help=True,
)

DEFAULT_DIR = Path("schemas")


@app.command("export")
def export_command(
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the schema files into.")
    ] = DEFAULT_DIR,
) -> None:
    """Write one JSON Schema per topic, asyncapi.yaml and openapi.json."""
    exported = export_schemas(out)
    for item in exported:
        typer.echo(f"{'wrote' if item.changed else 'unchanged'} {item.path}")
    changed = sum(item.changed for item in exported)
    typer.echo(f"{len(exported)} files in {out}, {changed} updated")


@app.command("check")
def check_command(
    directory: Annotated[
        Path, typer.Option("--dir", help="Directory holding the committed schema files.")
    ] = DEFAULT_DIR,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object as the last line.")
    ] = False,
) -> None:
    """Fail when committed schemas are stale or the models broke backward compatibility."""
    report = check_schemas(directory)
    if not as_json:
        _explain(report)
    else:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
    if not report.ok:
        raise typer.Exit(code=1)


def _explain(report: SchemaCheckReport) -> None:
    if report.stale:
        typer.echo(f"Stale schema files in {report.directory}:", err=True)
        for line in report.stale:
            typer.echo(f"  - {line}", err=True)
        typer.echo("Run `prescreen schemas export` and commit the result.", err=True)
    if report.breaking:
        typer.echo(
            "Backward-incompatible changes (consumers of the new schema could not read events "
            "valid under the committed one):",
            err=True,
        )
        for topic, problems in report.breaking.items():
            typer.echo(f"  {topic}:", err=True)
            for problem in problems:
                typer.echo(f"    - {problem}", err=True)
        typer.echo(
            "Make the change compatible (new fields optional, no removals or narrowing) or "
            "publish a new topic version.",
            err=True,
        )
    if report.ok:
        typer.echo(f"{report.checked} schema files up to date and backward compatible.")
