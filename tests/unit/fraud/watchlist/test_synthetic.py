"""The synthetic list and its labelled queries: deterministic, in the SDN layout, honest."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from services.fraud.watchlist.evaluation import LabelledQuery, labelled_queries
from services.fraud.watchlist.sdn import load_directory
from services.fraud.watchlist.synthetic import SyntheticEntry, generate_list, identity, write_sdn


@pytest.fixture(scope="module")
def entries() -> list[SyntheticEntry]:
    return generate_list(1_500, seed=3)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_sdn(generate_list(300, seed=5), tmp_path / name, seed=5)
    for file in ("sdn.csv", "alt.csv", "add.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    write_sdn(generate_list(300, seed=6), tmp_path / "c", seed=6)
    assert (tmp_path / "c" / "sdn.csv").read_bytes() != (tmp_path / "a" / "sdn.csv").read_bytes()


def test_the_files_follow_the_published_layout(
    entries: list[SyntheticEntry], tmp_path: Path
) -> None:
    write_sdn(entries, tmp_path)
    lines = (tmp_path / "sdn.csv").read_text().splitlines()
    assert len(lines) == len(entries)
    assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', line) for line in lines)  # all quoted
    first = next(csv.reader(lines[:1]))
    assert len(first) == 12 and first[4] == "-0- " and first[2] == "individual"
    loaded = load_directory(tmp_path)
    assert len(loaded) == len(entries)
    assert sum(bool(e.aliases) for e in loaded) == sum(bool(e.aliases) for e in entries)
    by_uid = {e.uid: e for e in loaded}
    for entry in entries[:200]:
        read = by_uid[entry.uid]
        assert read.primary_name == entry.person.sdn_name()
        if entry.dob:
            assert read.dates_of_birth == (entry.dob,)
        elif entry.years:
            assert read.birth_years == (entry.years,)
        else:
            assert not read.dates_of_birth and not read.birth_years


def test_the_list_mixes_origins_aliases_and_birth_facts(entries: list[SyntheticEntry]) -> None:
    origins = Counter(e.person.origin for e in entries)
    assert set(origins) == {"anglo", "hispanic", "arabic", "russian", "chinese"}
    assert min(origins.values()) > len(entries) * 0.1
    with_aliases = sum(bool(e.aliases) for e in entries) / len(entries)
    assert 0.25 < with_aliases < 0.4
    assert all(1 <= len(e.aliases) <= 3 for e in entries if e.aliases)
    assert 0.35 < sum(e.dob is not None for e in entries) / len(entries) < 0.55
    assert 0.15 < sum(e.years is not None for e in entries) / len(entries) < 0.4


def test_every_spelling_on_the_list_is_one_entry(entries: list[SyntheticEntry]) -> None:
    spellings = [identity(e.person.sdn_name()) for e in entries]
    spellings += [identity(a.sdn_name()) for e in entries for _, a in e.aliases]
    assert len(spellings) == len(set(spellings))


def _summary(queries: list[LabelledQuery]) -> list[tuple[str, str | None, str]]:
    return [(q.query.model_dump_json(), q.expected_uid, q.kind) for q in queries]


def test_labelled_queries_are_deterministic_and_mixed(entries: list[SyntheticEntry]) -> None:
    queries = labelled_queries(entries, 600, seed=4)
    assert _summary(queries) == _summary(labelled_queries(entries, 600, seed=4))
    assert _summary(queries) != _summary(labelled_queries(entries, 600, seed=5))
    kinds = Counter(q.kind.split("/")[0] for q in queries)
    for kind in ("typo", "typo2", "respell", "drop_middle", "reorder", "script"):
        assert kinds[kind] > 0, kind
    lookalikes = [q for q in queries if q.expected_uid is None]
    assert 0.2 < len(lookalikes) / len(queries) < 0.4
    assert {q.kind for q in lookalikes} >= {
        "lookalike:same_family",
        "lookalike:fresh",
        "lookalike:dob_conflict",
    }
    scripts = [q.query.name for q in queries if q.kind == "script"]
    assert any(not name.isascii() for name in scripts)


def test_lookalikes_are_not_listed_names(entries: list[SyntheticEntry]) -> None:
    listed = {identity(e.person.sdn_name()) for e in entries}
    listed |= {identity(a.sdn_name()) for e in entries for _, a in e.aliases}
    by_uid = {e.uid: e for e in entries}
    for query in labelled_queries(entries, 600, seed=4):
        if query.expected_uid is None and query.kind != "lookalike:dob_conflict":
            assert identity(query.query.name) not in listed, query
        if query.expected_uid is not None:
            assert query.expected_uid in by_uid
