"""``prescreen infra``: the local Kafka broker and Redis server for development."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from services.common.infra import (
    DEFAULT_KAFKA_VERSION,
    BrokerSettings,
    InfraError,
    LocalInfra,
    RedisServerSettings,
    install_kafka,
)

app = typer.Typer(
    help=(
        "Run a local Kafka broker (KRaft, from Maven Central jars) and Redis server on "
        "127.0.0.1. State lives in .local/infra (or $PRESCREEN_STATE_DIR)."
    ),
    no_args_is_help=True,
)


@app.callback()
def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")


def _fail(exc: InfraError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=1)


@app.command()
def install(
    version: Annotated[
        str, typer.Option(help="Apache Kafka version to fetch.")
    ] = DEFAULT_KAFKA_VERSION,
    force: Annotated[bool, typer.Option(help="Fetch again even if already cached.")] = False,
) -> None:
    """Fetch the Kafka broker jars into the project cache (needs Maven; skipped if present)."""
    try:
        libs = install_kafka(version, force=force)
    except InfraError as exc:
        raise _fail(exc) from exc
    typer.echo(f"Kafka {version} broker jars: {libs}")


@app.command()
def up(
    kafka_port: Annotated[int, typer.Option(help="Kafka client port.")] = 9092,
    kafka_controller_port: Annotated[int, typer.Option(help="KRaft controller port.")] = 9093,
    redis_port: Annotated[int, typer.Option(help="Redis port.")] = 6379,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Kafka to answer.")] = 120.0,
) -> None:
    """Start Kafka and Redis in the background (or reuse running ones) and wait until ready."""
    try:
        infra = LocalInfra(
            BrokerSettings(port=kafka_port, controller_port=kafka_controller_port),
            RedisServerSettings(port=redis_port),
        )
        bootstrap, redis_url = infra.start(timeout=timeout)
    except (InfraError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}")
    typer.echo(f"REDIS_URL={redis_url}")


@app.command()
def down() -> None:
    """Stop the Kafka broker and Redis server started by `prescreen infra up`."""
    try:
        stopped = LocalInfra().stop()
    except InfraError as exc:
        raise _fail(exc) from exc
    for name, was_running in stopped.items():
        typer.echo(f"{name}: {'stopped' if was_running else 'was not running'}")


@app.command()
def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object as the last line.")
    ] = False,
) -> None:
    """Show whether the local Kafka broker and Redis server are running and reachable."""
    statuses = LocalInfra().status()
    if as_json:
        typer.echo(json.dumps({s.name: s.to_dict() for s in statuses}, sort_keys=True))
        return
    for s in statuses:
        if s.running:
            health = "reachable" if s.reachable else "NOT reachable"
            typer.echo(f"{s.name}: running (pid {s.pid}) at {s.address}, {health}")
        else:
            typer.echo(f"{s.name}: stopped")
        typer.echo(f"  state: {s.state_dir}  log: {s.log_file}")
