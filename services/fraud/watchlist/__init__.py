"""Watch-list (sanctions) screening: OFAC SDN files and an internal denylist, fuzzy name
matching qualified by date of birth and country. See README.md in this directory."""

from __future__ import annotations

from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.models import (
    Alias,
    Match,
    ScreeningQuery,
    Thresholds,
    WatchlistEntry,
)
from services.fraud.watchlist.sdn import ListFormatError, load_directory
from services.fraud.watchlist.source import WatchlistSource

__all__ = [
    "Alias",
    "ListFormatError",
    "Match",
    "ScreeningQuery",
    "Thresholds",
    "Watchlist",
    "WatchlistEntry",
    "WatchlistSource",
    "load_directory",
]
