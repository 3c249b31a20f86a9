"""Scoring: the name signals, date-of-birth and country qualification, bands, explanations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.fraud.watchlist import (
    Alias,
    Match,
    ScreeningQuery,
    Thresholds,
    Watchlist,
    WatchlistEntry,
)
from services.fraud.watchlist.matcher import DOB_CONFLICT, DOB_EXACT, DOB_YEAR, name_signals
from services.fraud.watchlist.normalize import PairCache, normalize_name, skeleton
from tests.unit.fraud.watchlist.test_sdn import write_sample


def person(uid: str, name: str, **facts: object) -> WatchlistEntry:
    return WatchlistEntry(
        uid=uid, source="sdn", entity_type="individual", primary_name=name, **facts
    )


ENTRIES = (
    person(
        "sdn:1",
        "HADDAD, Omar Khalil",
        aliases=(Alias(name="AL-HADDAD, Abu Omar", kind="aka"),),
        dates_of_birth=(date(1970, 1, 12),),
        countries=("iraq",),
    ),
    person("sdn:2", "DROBNIKOV, Ivan Sergeyevich", birth_years=((1960, 1962),)),
    person("sdn:3", "ZHANG, Xiaoming"),
    person("sdn:6", "SMITH, John Michael", dates_of_birth=(date(1955, 3, 3),)),
    WatchlistEntry(uid="sdn:4", source="sdn", entity_type="vessel", primary_name="OMAR HADDAD"),
    WatchlistEntry(
        uid="sdn:5", source="sdn", entity_type="entity", primary_name="HADDAD TRADING COMPANY"
    ),
    WatchlistEntry(
        uid="deny:9", source="denylist", entity_type="individual", primary_name="Lena Vorst"
    ),
)
LIST = Watchlist(ENTRIES)


def screen(name: str, **facts: object) -> list[Match]:
    return LIST.screen(ScreeningQuery(name=name, **facts))


def name_score(query: str, listed: str) -> float:
    return name_signals(normalize_name(query), normalize_name(listed), PairCache()).score


def test_an_exact_name_is_a_hit_and_explains_itself() -> None:
    [match] = screen("Omar Khalil Haddad")
    assert (match.uid, match.source, match.band, match.score) == ("sdn:1", "sdn", "hit", 1.0)
    assert match.matched_name == match.primary_name == "HADDAD, Omar Khalil"
    assert match.alias_type is None and match.parts["alias"] == 0.0
    assert {"token_set", "jaro_winkler", "phonetic", "weakest", "name", "dob", "country"} <= set(
        match.parts
    )


def test_an_alias_match_says_which_alias() -> None:
    [match] = screen("Abu Omar al-Haddad")
    assert match.uid == "sdn:1" and match.matched_name == "AL-HADDAD, Abu Omar"
    assert match.alias_type == "aka" and match.parts["alias"] == 1.0


@pytest.mark.parametrize(
    "variant",
    [
        "Omar Kahlil Haddad",  # swapped letters
        "Omar Khalil Hadad",  # a letter dropped
        "Umar Khalil Haddad",  # another transliteration
        "HADDAD, Omar Khalil",  # family name first
        "Khalil Haddad Omar",  # any order
        "O. Khalil Haddad",  # an initial for a given name
        "Dr Omar Khalil Al Haddad",  # title and article added
    ],
)
def test_variants_of_a_listed_name_are_found(variant: str) -> None:
    assert [m.uid for m in screen(variant)] == ["sdn:1"]


def test_scripts_and_split_syllables_find_the_listed_spelling() -> None:
    assert [m.uid for m in screen("Иван Сергеевич Дробников")] == ["sdn:2"]
    assert [m.uid for m in screen("张小明")] == ["sdn:3"]
    assert [m.uid for m in screen("Zhang Xiao-Ming")] == ["sdn:3"]


def test_a_typo_scores_above_a_different_given_name() -> None:
    typo = name_score("Omar Khalil Hadadd", "HADDAD, Omar Khalil")
    other_person = name_score("Omar Yusuf Haddad", "HADDAD, Omar Khalil")
    assert typo > 0.92 > 0.85 > other_person


def test_missing_middle_names_cost_less_than_a_missing_first_name() -> None:
    middle = name_score("John Smith", "SMITH, John Michael")
    first = name_score("Michael Smith", "SMITH, John Michael")
    assert 0.85 < middle < 1.0
    assert first < middle - 0.05


def test_one_agreeing_token_is_never_enough() -> None:
    assert name_score("Haddad", "HADDAD, Omar Khalil") <= 0.75
    assert name_score("J. M. Smith", "SMITH, John Michael") <= 0.75
    assert screen("Haddad") == []


def test_two_different_listed_names_do_not_pass_for_a_typo() -> None:
    listed = frozenset({"khalid", "khadija", "haddad", "omar", "umar"})
    plain = PairCache()
    informed = PairCache(listed)
    assert plain.similarity("khalid", "khadija", "khalid", "khadija") > 0.8
    assert informed.similarity("khalid", "khadija", "khalid", "khadija") <= 0.7
    # ...but two spellings of one name stay close: their consonant skeletons agree.
    assert skeleton("omar") == skeleton("umar")
    assert informed.similarity("omar", "umar", "omar", "umar") > 0.8


def test_vessels_never_match_and_entities_only_when_asked() -> None:
    assert screen("Haddad Trading Company") == []
    with_entities = Watchlist(ENTRIES, include_entities=True)
    found = with_entities.screen(ScreeningQuery(name="Haddad Trading Company"))
    assert [m.uid for m in found] == ["sdn:5"]
    assert all(n.entry.entity_type != "vessel" for n in with_entities.names)
    assert LIST.size == 6  # four individuals (one with an alias) and the denylist entry


def test_denylist_entries_are_screened_too() -> None:
    [match] = screen("Lena Vorst")
    assert (match.uid, match.source) == ("deny:9", "denylist")


def test_an_agreeing_date_of_birth_raises_the_score() -> None:
    base = screen("Omar Khalil Hadad")[0].score
    exact = screen("Omar Khalil Hadad", date_of_birth=date(1970, 1, 12))[0]
    assert exact.parts["dob"] == DOB_EXACT and exact.score == pytest.approx(
        min(1, base + DOB_EXACT)
    )
    [in_range] = screen("Ivan Sergeyevich Drobnikov", date_of_birth=date(1961, 7, 1))
    assert in_range.parts["dob"] == DOB_YEAR


def test_a_clearly_different_date_of_birth_sinks_even_an_exact_name() -> None:
    assert screen("Omar Khalil Haddad", date_of_birth=date(1985, 1, 12)) == []
    assert screen("Ivan Sergeyevich Drobnikov", date_of_birth=date(1975, 1, 1)) == []
    unqualified = Watchlist(ENTRIES, Thresholds(review=0.5, margin=None))
    [sunk] = unqualified.screen(
        ScreeningQuery(name="Omar Khalil Haddad", date_of_birth=date(1985, 1, 12))
    )
    assert sunk.parts["dob"] == DOB_CONFLICT and sunk.score == pytest.approx(1 + DOB_CONFLICT)
    near = screen("Omar Khalil Haddad", date_of_birth=date(1971, 1, 12))[0]
    assert near.parts["dob"] == 0.0  # a year off is what a typing slip looks like


def test_country_adjusts_mildly_and_accepts_codes() -> None:
    agree = screen("Omar Khalil Hadad", country="IQ")[0]
    differ = screen("Omar Khalil Hadad", country="France")[0]
    unknown = screen("Ivan Sergeyevich Drobnikov", country="France")[0]
    assert agree.parts["country"] > 0 > differ.parts["country"] >= -0.05
    assert unknown.parts["country"] == 0.0  # the entry lists no country


def test_bands_follow_the_thresholds() -> None:
    query = ScreeningQuery(name="John Smith")  # middle name missing
    [match] = LIST.screen(query)
    assert match.band == "review" and 0.85 <= match.score < 0.92
    strict = Watchlist(ENTRIES, Thresholds(hit=0.99, review=0.95))
    assert strict.screen(query) == []
    loose = Watchlist(ENTRIES, Thresholds(hit=0.86, review=0.8))
    assert [m.band for m in loose.screen(query)] == ["hit"]
    with pytest.raises(ValidationError):
        Thresholds(hit=0.8, review=0.9)


def test_weaker_candidates_beside_a_much_better_one_are_dropped() -> None:
    entries = (person("sdn:10", "HADDAD, Omar"), person("sdn:11", "HADDAD, Omar Khalil"))
    query = ScreeningQuery(name="Omar Khalil Haddad")
    assert [m.uid for m in Watchlist(entries).screen(query)] == ["sdn:11"]
    everything = Watchlist(entries, Thresholds(margin=None)).screen(query)
    assert [m.uid for m in everything] == ["sdn:11", "sdn:10"]
    assert everything[0].score > everything[1].score


def test_limit_and_one_match_per_entry() -> None:
    entries = tuple(person(f"sdn:{n}", f"HADDAD, Omar {s}") for n, s in enumerate("ABCDEF"))
    wide = Watchlist(entries, Thresholds(review=0.5, margin=None))
    found = wide.screen(ScreeningQuery(name="Omar Haddad"), limit=3)
    assert len(found) == 3 and len({m.uid for m in found}) == 3
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_the_scan_agrees_with_the_indexed_screen() -> None:
    query = ScreeningQuery(name="Omar Kahlil Haddad", date_of_birth=date(1970, 1, 12))
    assert LIST.scan(query) == LIST.screen(query)


def test_versions_come_from_the_files_or_the_entries(tmp_path: Path) -> None:
    loaded = Watchlist.from_directory(write_sample(tmp_path))
    assert (
        len(loaded.version) == 12 and loaded.version == Watchlist.from_directory(tmp_path).version
    )
    assert Watchlist(ENTRIES).version == LIST.version != Watchlist(ENTRIES[:-1]).version
    assert [m.uid for m in loaded.screen(ScreeningQuery(name="Omar Rasheed"))] == ["sdn:2674"]
