"""``prescreen screen``: screen applicants (JSON lines on stdin) against a watch list.

Each input line ``{"id", "name", "date_of_birth", "country"}`` gives one output line
``{"id", "matches": [{"uid", "matched_name", "score", "band"}]}`` in the same order; a line
that cannot be read gives ``{"id", "error"}`` instead and the rest go on. Blank lines are
skipped. The exit code is 1 only when the watch list itself cannot be loaded.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import Field, StrictInt, StrictStr, ValidationError

from services.common.contracts.base import EventModel
from services.fraud.watchlist import ScreeningQuery, Thresholds, Watchlist

_DEFAULTS = Thresholds()


class ApplicantLine(EventModel):
    """One input line."""

    id: StrictStr | StrictInt
    name: str = Field(min_length=1, max_length=300)
    date_of_birth: date | None = Field(default=None, strict=True)
    country: str | None = Field(default=None, max_length=60)


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][:1]) or 'line'}: {e['msg']}" for e in error.errors()
    )


def screen_line(watchlist: Watchlist, line: str, limit: int) -> dict[str, Any]:
    """The output record of one input line."""
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {"id": None, "error": f"line: not JSON ({exc})"}
    if not isinstance(raw, dict):
        return {"id": None, "error": "line: expected a JSON object"}
    given_id = raw.get("id")
    shown_id = (
        given_id if isinstance(given_id, str | int) and not isinstance(given_id, bool) else None
    )
    try:
        applicant = ApplicantLine.model_validate_json(line)
    except ValidationError as exc:
        return {"id": shown_id, "error": _describe(exc)}
    query = ScreeningQuery(
        name=applicant.name, date_of_birth=applicant.date_of_birth, country=applicant.country
    )
    matches = watchlist.screen(query, limit=limit)
    return {
        "id": applicant.id,
        "matches": [
            {"uid": m.uid, "matched_name": m.matched_name, "score": m.score, "band": m.band}
            for m in matches
        ],
    }


def screen_command(
    watchlist: Annotated[
        Path,
        typer.Option(
            "--watchlist",
            help="Directory with sdn.csv (+ alt.csv, add.csv) and/or denylist.csv/.json.",
        ),
    ],
    hit_threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Score from which a match is a hit.")
    ] = _DEFAULTS.hit,
    review_threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Score from which a match is reported.")
    ] = _DEFAULTS.review,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Matches per applicant.")] = 5,
) -> None:
    """Screen applicants read as JSON lines from stdin; one JSON line per applicant out."""
    try:
        thresholds = Thresholds(hit=hit_threshold, review=review_threshold)
    except ValidationError as exc:
        raise typer.BadParameter(_describe(exc)) from None
    try:
        loaded = Watchlist.from_directory(watchlist, thresholds)
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot load the watch list in {watchlist}: {exc}", err=True)
        raise typer.Exit(1) from None
    out = sys.stdout
    for line in sys.stdin:
        if line.strip():
            out.write(orjson.dumps(screen_line(loaded, line, limit)).decode() + "\n")
    out.flush()
