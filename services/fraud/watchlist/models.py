"""The records the watch-list screening engine reads and returns."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from services.common.contracts.base import EventModel

Source = Literal["sdn", "denylist"]
EntityType = Literal["individual", "entity", "vessel", "aircraft"]
AliasType = Literal["aka", "fka", "nka"]
Band = Literal["hit", "review"]


class Alias(EventModel):
    """Another name the same entry is known by, as published."""

    name: str = Field(min_length=1)
    kind: AliasType = "aka"


class WatchlistEntry(EventModel):
    """One listed person or thing, with everything the matcher can use to qualify a name."""

    # The fraud stage's events carry uids of at most 64 characters: refuse longer ones at load.
    uid: str = Field(min_length=1, max_length=64)
    source: Source
    entity_type: EntityType
    primary_name: str = Field(min_length=1)
    aliases: tuple[Alias, ...] = ()
    programs: tuple[str, ...] = ()
    dates_of_birth: tuple[date, ...] = ()
    # Inclusive (from, to) years; a bare year is (y, y). Lists often know only the year.
    birth_years: tuple[tuple[int, int], ...] = ()
    countries: tuple[str, ...] = ()


class ScreeningQuery(EventModel):
    """The applicant as the screening sees them."""

    name: str = Field(min_length=1, max_length=300)
    date_of_birth: date | None = None
    country: str | None = None


class Thresholds(EventModel):
    """Score cut-offs; a match below ``review`` is not reported at all.

    ``margin``: matches scoring more than this below the query's best match are dropped. The
    best one explains the name better; a clearly weaker candidate beside it is nearly always
    another person sharing part of the name (a listed "Omar Haddad" next to the applicant's
    exact "Omar Khalil Haddad"). ``None`` reports every match above ``review``.
    """

    hit: float = Field(default=0.92, gt=0.0, le=1.0)
    review: float = Field(default=0.85, gt=0.0, le=1.0)
    margin: float | None = Field(default=0.06, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review > self.hit:
            raise ValueError("the review threshold must not be above the hit threshold")
        return self


class Match(EventModel):
    """One listed entry the query may be, with the evidence behind its score."""

    uid: str
    source: Source
    matched_name: str
    primary_name: str
    alias_type: AliasType | None = None
    score: float
    band: Band
    parts: dict[str, float]
