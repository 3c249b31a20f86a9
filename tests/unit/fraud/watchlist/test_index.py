"""Blocking: a query scores a bounded handful of names, and the right one is among them."""

from __future__ import annotations

import pytest

from services.fraud.watchlist import matcher
from services.fraud.watchlist.index import CandidateIndex, token_keys
from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.models import ScreeningQuery, WatchlistEntry
from services.fraud.watchlist.normalize import normalize_name
from services.fraud.watchlist.synthetic import SyntheticEntry, generate_list


@pytest.fixture(scope="module")
def generated() -> tuple[list[SyntheticEntry], Watchlist]:
    entries = generate_list(3_000, seed=11)
    listed = [
        WatchlistEntry(
            uid=e.uid, source="sdn", entity_type="individual", primary_name=e.person.sdn_name()
        )
        for e in entries
    ]
    return entries, Watchlist(listed)


def test_one_edit_apart_always_shares_a_deletion_key() -> None:
    def deletions(token: str) -> set[str]:
        return {k for k in token_keys(token) if k.startswith("d:")}

    for typo in ("mawran", "marwn", "marrwan", "marwen"):
        assert deletions(typo) & deletions("marwan"), typo
    assert token_keys("j") == ()  # initials are not looked up


def test_a_query_scores_only_a_bounded_few_names(
    generated: tuple[list[SyntheticEntry], Watchlist], monkeypatch: pytest.MonkeyPatch
) -> None:
    entries, watchlist = generated
    scored = 0
    real = matcher.name_signals

    def counting(*args: object) -> matcher.Signals:
        nonlocal scored
        scored += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher, "name_signals", counting)
    target = entries[123].person.sdn_name()
    found = watchlist.screen(ScreeningQuery(name=target))
    assert found and found[0].uid == entries[123].uid
    assert 0 < scored <= watchlist.index.limit < watchlist.size / 50
    scored = 0
    watchlist.scan(ScreeningQuery(name=target))
    assert scored == watchlist.size  # the baseline does score everything


def test_typos_and_respellings_keep_the_right_name_among_the_candidates(
    generated: tuple[list[SyntheticEntry], Watchlist],
) -> None:
    entries, watchlist = generated
    index = watchlist.index
    for entry in entries[:200]:
        name = entry.person.sdn_name()
        family, _, given = name.partition(", ")
        # Swap two letters inside the family name, where trigrams break the most.
        i = min(2, len(family) - 2)
        typo = family[:i] + family[i + 1] + family[i] + family[i + 2 :]
        for query in (f"{given} {typo}", f"{typo} {given}"):
            positions = index.candidates(normalize_name(query))
            assert len(positions) <= index.limit
            found = {watchlist.names[p].entry.uid for p in positions}
            assert entry.uid in found, query


def test_common_keys_are_skipped_unless_nothing_else_is_left() -> None:
    names = [normalize_name(f"Omar {chr(97 + i % 26)}{chr(97 + i // 26)}zz") for i in range(400)]
    index = CandidateIndex(names, limit=10, common_share=0.1, min_common=50)
    assert index.cap == 50
    # "omar" is on every name: on its own it still narrows to the limit, not to all 400.
    assert len(index.candidates(normalize_name("Omar"))) == 10
    assert index.candidates(normalize_name("-")).size == 0
