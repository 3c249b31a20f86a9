"""``prescreen dlq``: inspect and replay the dead-letter topic."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from services.common.contracts.registry import Topics
from services.common.runtime.replay import ReplayFilter, replay_dead_letters
from services.common.runtime.sealing import PayloadSealer, new_key
from services.common.runtime.settings import RuntimeSettings
from services.common.settings import KafkaSettings, RedisSettings, redis_client

app = typer.Typer(help="Dead letters: replay events once the cause of their failure is fixed.")


@app.command("replay")
def replay(
    topic: Annotated[
        str | None, typer.Option(help="Only dead letters that came from this topic.")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Only those a given stage gave up on.")] = None,
    error_class: Annotated[
        str | None, typer.Option(help="Only those that failed with this exception class.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="undecodable, invalid, handler_error, retries_exhausted or rejected."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Replay at most this many.")] = None,
    dry_run: Annotated[
        bool, typer.Option(help="List what would be replayed; publish nothing.")
    ] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Give up after this many seconds.")] = 60.0,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Re-publish dead letters to their original topic; each dead letter is replayed once."""
    redis_settings = RedisSettings()
    seal_key = RuntimeSettings().dead_letter_seal_key
    report = replay_dead_letters(
        kafka=KafkaSettings(),
        redis_client=redis_client(redis_settings),
        dead_letter_topic=Topics.DLQ.name,
        key_prefix=redis_settings.key_prefix,
        selection=ReplayFilter(
            original_topic=topic, stage=stage, error_class=error_class, kind=kind
        ),
        limit=limit,
        dry_run=dry_run,
        timeout_s=timeout,
        sealer=PayloadSealer(seal_key.get_secret_value()) if seal_key else None,
    )
    if json_output:
        typer.echo(orjson.dumps(report.as_dict()).decode())
        return
    verb = "would replay" if dry_run else "replayed"
    for record in report.replayed_records:
        typer.echo(
            f"{verb} {record['dead_letter']} -> {record['original_topic']} "
            f"(stage {record['stage']}, {record['error_class']})"
        )
    typer.echo(
        f"scanned {report.scanned}, matched {report.matched}, {verb} "
        f"{len(report.replayed_records)}, already replayed {report.already_replayed}, "
        f"not replayable {report.not_replayable}"
    )


@app.command("new-key")
def new_key_command() -> None:
    """Print a new sealing key for PRESCREEN_RUNTIME_DEAD_LETTER_SEAL_KEY."""
    typer.echo(new_key())
