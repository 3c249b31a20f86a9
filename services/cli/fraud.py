"""``prescreen fraud``: clear a watch-list false positive, revoke a clearance, read the audit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from services.common.settings import RedisSettings, redis_client
from services.fraud.allowlist import AllowList

app = typer.Typer(help="Watch-list clearances for compliance analysts.", no_args_is_help=True)

SsnToken = Annotated[
    str, typer.Option(help="The applicant's SSN token, as on the application's events.")
]
Uid = Annotated[str, typer.Option(help="The list entry, e.g. sdn:12345, from the match.")]
By = Annotated[str, typer.Option("--by", help="Your analyst id, recorded in the audit trail.")]
Reason = Annotated[str, typer.Option(help="Why: recorded in the audit trail, not on events.")]


def _allow_list() -> AllowList:
    settings = RedisSettings()
    return AllowList(redis_client(settings), key_prefix=settings.key_prefix)


@app.command("allow")
def allow(
    ssn_token: SsnToken,
    uid: Uid,
    by: By,
    reason: Reason,
    ttl_days: Annotated[int, typer.Option(min=1, max=3650, help="Days it stays valid.")] = 365,
) -> None:
    """Clear a match: this list entry is not this applicant. Later screenings let it pass."""
    try:
        clearance = _allow_list().grant(
            ssn_token=ssn_token,
            uid=uid,
            cleared_by=by,
            reason=reason,
            ttl=timedelta(days=ttl_days),
        )
    except ValueError as error:  # a malformed token, an empty reason, ...
        typer.echo(f"not cleared: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(clearance.model_dump_json())


@app.command("revoke")
def revoke(ssn_token: SsnToken, uid: Uid, by: By, reason: Reason) -> None:
    """Withdraw a clearance; the next screening counts the match again."""
    removed = _allow_list().revoke(ssn_token=ssn_token, uid=uid, revoked_by=by, reason=reason)
    typer.echo(json.dumps({"revoked": removed, "uid": uid}))
    if not removed:
        raise typer.Exit(code=1)


@app.command("audit")
def audit(
    count: Annotated[int, typer.Option(min=1, max=10_000, help="Newest records to show.")] = 50,
) -> None:
    """The audit trail of clearances: grants, revokes and applications they let through."""
    for record in _allow_list().audit(count):
        typer.echo(json.dumps(record, sort_keys=True))
