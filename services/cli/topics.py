"""``prescreen topics``: the Kafka topics of the registry, listed or created on a cluster."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from confluent_kafka import KafkaException

from services.common.contracts.registry import Topics
from services.common.contracts.topics import TopicSpec
from services.common.kafka_admin import ensure_topics
from services.common.settings import KafkaSettings

app = typer.Typer(
    help=(
        "The Kafka topics of the registry: list them, or create them on the cluster named by "
        "KAFKA_BOOTSTRAP_SERVERS (or PRESCREEN_KAFKA_BOOTSTRAP_SERVERS)."
    ),
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]


def _describe(spec: TopicSpec[Any]) -> dict[str, Any]:
    return {
        "name": spec.name,
        "writer": spec.writer,
        "partitions": spec.partitions,
        "value_model": spec.value_model.__name__,
        "ce_type": spec.ce_type,
        "config": dict(sorted(spec.config.items())),
    }


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Show every registered topic: writer, partitions, value model and CloudEvents type."""
    rows = [_describe(spec) for spec in Topics.all()]
    if as_json:
        typer.echo(json.dumps({"topics": rows}, sort_keys=True))
        return
    columns = ("name", "writer", "partitions", "value_model", "ce_type")
    titles = ("TOPIC", "WRITER", "PARTITIONS", "VALUE MODEL", "CE TYPE")
    cells = [titles, *(tuple(str(row[column]) for column in columns) for row in rows)]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    for line in cells:
        padded = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        typer.echo("  ".join(padded).rstrip())


@app.command("create")
def create_command(
    partitions: Annotated[
        int | None,
        typer.Option(
            min=1, help="Partitions of every new topic; default: each topic's registry count."
        ),
    ] = None,
    replication_factor: Annotated[
        int, typer.Option(min=1, help="Replication factor of every new topic.")
    ] = 1,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds to wait for the cluster to answer.")
    ] = 30.0,
    as_json: JsonOption = False,
) -> None:
    """Create every registered topic that does not exist yet; existing ones are left alone."""
    specs = Topics.all()
    try:
        kafka = KafkaSettings()
        created = ensure_topics(
            kafka,
            specs,
            partitions=partitions,
            replication_factor=replication_factor,
            timeout_s=timeout,
        )
    except (KafkaException, TimeoutError, ValueError) as exc:
        message = f"could not create the topics: {exc}"
        if as_json:
            typer.echo(json.dumps({"error": message}))
        else:
            typer.echo(f"error: {message}", err=True)
        raise typer.Exit(code=1) from exc
    new = set(created)
    created_names = [spec.name for spec in specs if spec.name in new]
    existing_names = [spec.name for spec in specs if spec.name not in new]
    if as_json:
        typer.echo(json.dumps({"created": created_names, "existing": existing_names}))
        return
    for spec in specs:
        if spec.name in new:
            count = partitions or spec.partitions
            typer.echo(f"created  {spec.name} ({count} partitions)")
        else:
            typer.echo(f"existing {spec.name}")
    typer.echo(
        f"{len(specs)} topics on {kafka.bootstrap_servers}: {len(created_names)} created, "
        f"{len(existing_names)} already existed"
    )
