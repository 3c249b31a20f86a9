"""Screening a name against the list: name signals, then date-of-birth and country.

Tokens are paired one to one, most similar first (``PairCache``: Jaro-Winkler with the
phonetic, length and listed-name rules of ``normalize``), and every token of the shorter
name gets a partner. The name score blends three signals (weights in ``NAME_WEIGHTS``):

- ``token_set`` — the pairs' similarities averaged by token length;
- ``jaro_winkler`` — Jaro-Winkler of the two token-sorted strings, order independent;
- ``weakest`` — the worst pair: two people who share a surname differ in one token
  entirely, which an average hides.

``phonetic`` (share of pairs with the same Metaphone code) is reported with them. Tokens one
name has and the other lacks cost ``MISSING_PENALTY`` each, more when it is the first
token; initials match a token with the same first letter at a small cost, and a name with
fewer than two agreeing full tokens cannot score high. When the token counts differ,
adjacent tokens of the longer side are also tried glued ("Xiao Ming" against "Xiaoming").
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jellyfish

from services.fraud.watchlist.countries import normalize_country
from services.fraud.watchlist.index import CandidateIndex
from services.fraud.watchlist.models import (
    AliasType,
    Match,
    ScreeningQuery,
    Thresholds,
    WatchlistEntry,
)
from services.fraud.watchlist.normalize import NormalizedName, PairCache, normalize_name
from services.fraud.watchlist.sdn import digest, parse_files, read_files

NAME_WEIGHTS = {"token_set": 0.5, "jaro_winkler": 0.2, "weakest": 0.3}
MISSING_PENALTY = 0.1  # per token one side has and the other does not
# People drop middle names and second surnames, not the name they are called by: a first
# token without a partner more likely means another person who shares the other names.
FIRST_MISSING_PENALTY = 0.2
INITIAL_PENALTY = 0.03  # per token matched only through its initial
SINGLE_TOKEN_CAP = 0.75  # one agreeing token out of several says little
AGREEING = 0.8  # a token pair at least this similar counts as agreeing


@dataclass(slots=True)
class Signals:
    token_set: float
    jaro_winkler: float
    phonetic: float
    weakest: float
    missing: int
    initials: int
    score: float

    def parts(self) -> dict[str, float]:
        return {
            "token_set": round(self.token_set, 4),
            "jaro_winkler": round(self.jaro_winkler, 4),
            "phonetic": round(self.phonetic, 4),
            "weakest": round(self.weakest, 4),
            "missing_tokens": float(self.missing),
            "initials": float(self.initials),
            "name": round(self.score, 4),
        }


def _signals(query: NormalizedName, listed: NormalizedName, cache: PairCache) -> Signals:
    q, c = query.tokens, listed.tokens
    q_cores, c_cores = query.cores, listed.cores
    compare = cache.pair
    pairs = [
        (*compare(a, b, q_cores[i], c_cores[j]), i, j)
        for i, a in enumerate(q)
        for j, b in enumerate(c)
    ]
    pairs.sort(reverse=True)
    # Every token of the shorter name gets a partner, however unlike: a different first name
    # is a disagreement to count, not a middle name to forgive.
    wanted = min(len(q), len(c))
    used_q = used_c = paired = 0
    total = weight = 0.0
    weakest = 1.0
    agree = full = agreeing = initials = 0
    for sim, same_sound, i, j in pairs:
        if used_q >> i & 1 or used_c >> j & 1:
            continue
        used_q |= 1 << i
        used_c |= 1 << j
        a, b = q[i], c[j]
        weakest = min(weakest, sim)
        if len(a) == 1 or len(b) == 1:
            initials += 1
            total += sim
            weight += 1.0
        else:
            w = float(max(len(a), len(b)))
            total += w * sim
            weight += w
            full += 1
            agreeing += sim >= AGREEING
            agree += same_sound
        paired += 1
        if paired == wanted:
            break
    missing = abs(len(q) - len(c))
    first_missing = not (used_q & 1 and used_c & 1)
    token_set = total / weight if weight else 0.0
    phonetic = agree / full if full else 0.0
    jaro = jellyfish.jaro_winkler_similarity(query.key, listed.key)
    score = (
        NAME_WEIGHTS["token_set"] * token_set
        + NAME_WEIGHTS["jaro_winkler"] * jaro
        + NAME_WEIGHTS["weakest"] * weakest
        - MISSING_PENALTY * missing
        - (FIRST_MISSING_PENALTY - MISSING_PENALTY) * first_missing
        - INITIAL_PENALTY * initials
    )
    if agreeing < 2 and max(len(q), len(c)) >= 2:
        score = min(score, SINGLE_TOKEN_CAP)
    return Signals(token_set, jaro, phonetic, weakest, missing, initials, max(0.0, score))


def _merged(name: NormalizedName, other: NormalizedName) -> list[NormalizedName]:
    """The name with two adjacent tokens written as one, where ``other`` has such a token."""
    out = []
    tokens, cores = name.tokens, name.cores
    for i in range(len(tokens) - 1):
        glued = tokens[i] + tokens[i + 1]
        if not any(t[:2] == glued[:2] and abs(len(t) - len(glued)) <= 2 for t in other.tokens):
            continue
        new = (*tokens[:i], glued, *tokens[i + 2 :])
        new_cores = (*cores[:i], cores[i] + cores[i + 1], *cores[i + 2 :])
        out.append(NormalizedName(new, new_cores, " ".join(sorted(new))))
    return out


def name_signals(query: NormalizedName, listed: NormalizedName, cache: PairCache) -> Signals:
    """The name signals of ``query`` against one listed name, best reading of the tokens."""
    best = _signals(query, listed, cache)
    if best.missing and best.score > 0.5:
        if len(query.tokens) > len(listed.tokens):
            readings = [(q, listed) for q in _merged(query, listed)]
        else:
            readings = [(query, c) for c in _merged(listed, query)]
        for q, c in readings:
            other = _signals(q, c, cache)
            if other.score > best.score:
                best = other
    return best


# Date-of-birth and country qualification, added to the name score. A clear DOB conflict is
# strong evidence of a different person, so it costs more than any agreement earns.
DOB_EXACT = 0.08
DOB_YEAR = 0.04
DOB_CONFLICT = -0.2
COUNTRY_AGREE = 0.02
COUNTRY_CONFLICT = -0.03


def dob_adjustment(born: date | None, entry: WatchlistEntry) -> float:
    """Positive when the dates agree, strongly negative when they clearly cannot."""
    if born is None or not (entry.dates_of_birth or entry.birth_years):
        return 0.0
    if born in entry.dates_of_birth:
        return DOB_EXACT
    spans = [*((d.year, d.year) for d in entry.dates_of_birth), *entry.birth_years]
    year = born.year
    if any(lo <= year <= hi for lo, hi in entry.birth_years):
        return DOB_YEAR
    gap = min(max(lo - year, year - hi) for lo, hi in spans)
    # The same year with a different day, or one year off, is what a typing slip looks like.
    return 0.0 if gap <= 1 else DOB_CONFLICT


def country_adjustment(country: str | None, entry: WatchlistEntry) -> float:
    if country is None or not entry.countries:
        return 0.0
    return COUNTRY_AGREE if country in entry.countries else COUNTRY_CONFLICT


@dataclass(frozen=True, slots=True)
class ListedName:
    entry: WatchlistEntry
    name: str
    alias_type: AliasType | None
    norm: NormalizedName


class Watchlist:
    """A loaded list with its candidate index; ``screen`` is safe to call from many threads.

    Individuals and denylist entries are screened; entities only with ``include_entities``;
    vessels and aircraft never, as applicants are people.
    """

    def __init__(
        self,
        entries: Sequence[WatchlistEntry],
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen model, safe as a default
        *,
        include_entities: bool = False,
        version: str | None = None,
    ) -> None:
        kinds = {"individual", "entity"} if include_entities else {"individual"}
        self.entries = tuple(entries)
        self.thresholds = thresholds
        self.names: list[ListedName] = []
        for entry in self.entries:
            if entry.entity_type not in kinds:
                continue
            spellings = [(entry.primary_name, None), *((a.name, a.kind) for a in entry.aliases)]
            for name, kind in spellings:
                norm = normalize_name(name)
                if norm.tokens:
                    self.names.append(ListedName(entry, name, kind, norm))
        self.index = CandidateIndex([n.norm for n in self.names])
        self.version = version or _entries_digest(self.entries)
        self.size = len(self.names)

    @classmethod
    def from_directory(
        cls,
        path: Path,
        thresholds: Thresholds = Thresholds(),  # noqa: B008
        *,
        include_entities: bool = False,
    ) -> Watchlist:
        files = read_files(path)
        return cls(
            parse_files(files),
            thresholds,
            include_entities=include_entities,
            version=digest(files),
        )

    def screen(self, query: ScreeningQuery, *, limit: int = 5) -> list[Match]:
        """Hit and review matches, best first, one per entry."""
        norm = normalize_name(query.name)
        if not norm.tokens:
            return []
        return self._rank(query, norm, self.index.candidates(norm).tolist(), limit)

    def scan(self, query: ScreeningQuery, *, limit: int = 5) -> list[Match]:
        """``screen`` without the index: every name scored. The baseline the index beats."""
        norm = normalize_name(query.name)
        if not norm.tokens:
            return []
        return self._rank(query, norm, range(len(self.names)), limit)

    def _rank(
        self, query: ScreeningQuery, norm: NormalizedName, positions: Iterable[int], limit: int
    ) -> list[Match]:
        cache = PairCache(self.index.vocabulary)
        country = normalize_country(query.country)
        best: dict[str, tuple[float, Signals, ListedName]] = {}
        floor = self.thresholds.review - DOB_EXACT - COUNTRY_AGREE
        for position in positions:
            listed = self.names[position]
            signals = name_signals(norm, listed.norm, cache)
            if signals.score < floor:
                continue
            uid = listed.entry.uid
            if uid not in best or signals.score > best[uid][0]:
                best[uid] = (signals.score, signals, listed)
        matches = []
        for _, signals, listed in best.values():
            dob = dob_adjustment(query.date_of_birth, listed.entry)
            place = country_adjustment(country, listed.entry)
            score = round(min(1.0, max(0.0, signals.score + dob + place)), 4)
            if score < self.thresholds.review:
                continue
            parts = signals.parts() | {
                "alias": float(listed.alias_type is not None),
                "dob": dob,
                "country": place,
            }
            matches.append(
                Match(
                    uid=listed.entry.uid,
                    source=listed.entry.source,
                    matched_name=listed.name,
                    primary_name=listed.entry.primary_name,
                    alias_type=listed.alias_type,
                    score=score,
                    band="hit" if score >= self.thresholds.hit else "review",
                    parts=parts,
                )
            )
        matches.sort(key=lambda m: (-m.score, m.uid))
        margin = self.thresholds.margin
        if matches and margin is not None:
            matches = [m for m in matches if m.score >= matches[0].score - margin]
        return matches[:limit]


def _entries_digest(entries: Sequence[WatchlistEntry]) -> str:
    hasher = hashlib.sha256()
    for entry in entries:
        hasher.update(entry.model_dump_json().encode())
    return hasher.hexdigest()[:12]
