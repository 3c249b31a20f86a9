"""Labelled queries against a synthetic list, and the recall and precision they give.

True variants are list names as an applicant or a clerk might write them: typos (one or two),
other transliterations, tokens reordered or in "LAST, First" form, a middle name missing, a
given name reduced to its initial, an honorific added, case, accents and hyphens changed, or
the name in Cyrillic or Chinese characters. They carry the listed date of birth and country
most of the time, sometimes nothing, sometimes a country the list does not give.

Non-matches are look-alikes: the surname of a listed person with other given names, the given
names with another surname, new names from the same generators, and a listed name exactly
with a date of birth years away from the listed one.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import jellyfish

from services.fraud.watchlist.countries import ALPHA2
from services.fraud.watchlist.models import Match, ScreeningQuery
from services.fraud.watchlist.normalize import normalize_name
from services.fraud.watchlist.synthetic import (
    Person,
    SyntheticEntry,
    identity,
    make_person,
    respell,
)

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {c: row[max(0, i - 1) : i] + row[i + 1 : i + 2] for row in _ROWS for i, c in enumerate(row)}
_ACCENTED = {
    "a": "\u00e1",
    "e": "\u00e9",
    "i": "\u00ed",
    "o": "\u00f3",
    "u": "\u00fa",
    "n": "\u00f1",
}
_CODES = {name: code.upper() for code, name in ALPHA2.items()}
_HONORIFICS = {
    "arabic": ["Sheikh", "Haji", "Dr.", "Mr", "Al-Hajj"],
    "russian": ["Mr.", "Gen.", "Dr", "Col."],
    "anglo": ["Mr.", "Dr.", "Prof.", "Sir"],
    "hispanic": ["Sr.", "Dr.", "Mr", "Gen."],
    "chinese": ["Mr", "Dr.", "Prof."],
}
# Russian letters by their place in the alphabet (U+0430 on), named by their Latin spelling.
_CYRILLIC_TEXT = "a b v g d e zh z i j k l m n o p r s t u f kh ts ch sh shch _ y _ eh yu ya"
_CYRILLIC = _CYRILLIC_TEXT.split()
_TO_CYRILLIC = sorted(
    [(n, chr(0x430 + i)) for i, n in enumerate(_CYRILLIC) if n not in {"_", "j", "eh"}]
    + [("iy", "\u0438\u0439"), ("ey", "\u0435\u0439"), ("ay", "\u0430\u0439"), ("ye", "\u0435")]
    + [("yo", "\u0451"), ("x", "\u043a\u0441"), ("w", "\u0432"), ("h", "\u0445")]
    + [("c", "\u043a"), ("q", "\u043a"), ("j", "\u0434\u0436")],
    key=lambda rule: -len(rule[0]),
)
_HANZI_TEXT = """wang:\u738b li:\u674e zhang:\u5f20 liu:\u5218 chen:\u9648 yang:\u6768
    huang:\u9ec4 zhao:\u8d75 wu:\u5434 zhou:\u5468 xu:\u5f90 sun:\u5b59 ma:\u9a6c zhu:\u6731
    hu:\u80e1 guo:\u90ed he:\u4f55 gao:\u9ad8 lin:\u6797 luo:\u7f57 zheng:\u90d1 liang:\u6881
    xie:\u8c22 song:\u5b8b tang:\u5510 han:\u97e9 feng:\u51af deng:\u9093 cao:\u66f9
    peng:\u5f6d xiao:\u5c0f tian:\u7530 dong:\u8463 yuan:\u8881 pan:\u6f58 jiang:\u848b
    cai:\u8521 du:\u675c ye:\u53f6 cheng:\u7a0b su:\u82cf wei:\u4f1f lu:\u5362 ding:\u4e01
    ren:\u4efb shen:\u6c88 yao:\u59da cui:\u5d14 zhong:\u949f tan:\u8c2d fan:\u8303
    jin:\u91d1 shi:\u77f3 liao:\u5ed6 jia:\u8d3e xia:\u590f fang:\u65b9 bai:\u767d
    ming:\u660e hua:\u534e jun:\u519b na:\u5a1c jie:\u6770 qiang:\u5f3a lei:\u78ca
    yong:\u52c7 jing:\u9759 hong:\u7ea2 ping:\u5e73 hui:\u8f89 lan:\u5170 tao:\u6d9b
    gang:\u521a yan:\u71d5 ling:\u73b2 ying:\u82f1 jian:\u5efa zhi:\u5fd7 wen:\u6587
    hai:\u6d77 chun:\u6625 xiu:\u79c0 min:\u654f yu:\u5b87 chao:\u8d85 bo:\u6ce2 hao:\u6d69
    kai:\u51ef xin:\u6b23 yi:\u6021 ting:\u5a77 xue:\u96ea long:\u9f99 fei:\u98de"""
_HANZI = dict(pair.split(":") for pair in _HANZI_TEXT.split())


@dataclass(frozen=True)
class LabelledQuery:
    query: ScreeningQuery
    expected_uid: str | None  # None: the query is nobody on the list
    kind: str


@dataclass(frozen=True)
class BandQuality:
    threshold: float
    recall: float  # true variants whose entry is returned at or above the threshold
    precision: float  # returned matches at or above the threshold that are the right entry
    expected: int
    found: int
    returned: int
    correct: int


def band_quality(
    outcomes: Sequence[tuple[str | None, Sequence[Match]]], threshold: float
) -> BandQuality:
    """Recall and precision of (expected uid, matches) pairs at one score threshold.

    Both are 1.0 when there is nothing to count (no variants, nothing returned).
    """
    expected = found = returned = correct = 0
    for uid, matches in outcomes:
        kept = [m for m in matches if m.score >= threshold]
        returned += len(kept)
        right = sum(1 for m in kept if m.uid == uid)
        correct += right
        if uid is not None:
            expected += 1
            found += right > 0
    return BandQuality(
        threshold=threshold,
        recall=found / expected if expected else 1.0,
        precision=correct / returned if returned else 1.0,
        expected=expected,
        found=found,
        returned=returned,
        correct=correct,
    )


def _typo(rng: random.Random, words: list[str]) -> list[str] | None:
    options = [i for i, w in enumerate(words) if len(w.replace("|", "")) >= 4]
    if not options:
        return None
    i = rng.choice(options)
    word = words[i].replace("|", "")
    at = rng.randrange(1, len(word) - 1)  # first letters are the ones people get right
    op = rng.choice(["swap", "drop", "double", "near", "replace"])
    if op == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif op == "drop":
        word = word[:at] + word[at + 1 :]
    elif op == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        pool = _NEAR.get(word[at], "") if op == "near" else "aeiourstnl"
        word = word[:at] + rng.choice(pool or "e") + word[at + 1 :]
    return [*words[:i], word, *words[i + 1 :]]


def _respelled(rng: random.Random, words: list[str]) -> list[str] | None:
    options = [(i, respell(rng, w)) for i, w in enumerate(words)]
    found = [(i, w) for i, w in options if w]
    if not found:
        return None
    i, word = rng.choice(found)
    return [*words[:i], word, *words[i + 1 :]]


def _edit(rng: random.Random, person: Person, kind: str) -> list[str] | None:
    words, given = person.words(), len(person.given)
    if kind == "typo":
        return _typo(rng, words)
    if kind == "typo2":
        once = _typo(rng, words)
        return _typo(rng, once) if once else None
    if kind == "respell":
        return _respelled(rng, words)
    if kind == "respell+typo":
        once = _respelled(rng, words)
        return _typo(rng, once) if once else None
    if kind == "drop_middle" and len(words) >= 3:
        return [w for i, w in enumerate(words) if i != (1 if given >= 2 else len(words) - 1)]
    if kind == "initial" and given >= 2:  # one given name shortened, another kept whole
        i = rng.randrange(given)
        return [*words[:i], words[i][0], *words[i + 1 :]]
    if kind == "drop_article" and any(w.startswith("al-") for w in words):
        return [w.removeprefix("al-") for w in words]
    if kind == "split" and any("|" in w for w in words):
        return [w.replace("|", rng.choice([" ", "-"])) for w in words]
    if kind == "reorder":
        return [*words[given:], *words[:given]]
    return None


def _cyrillic(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        for latin, letter in _TO_CYRILLIC:
            if word.startswith(latin, i):
                out.append(letter)
                i += len(latin)
                break
        else:
            i += 1  # no Russian letter for it; a clerk would drop it too
    return "".join(out).capitalize()


def _script(person: Person) -> str | None:
    if person.origin == "russian":
        return " ".join(_cyrillic(w) for w in person.words())
    syllables = [*person.family, *person.given[0].split("|")] if person.origin == "chinese" else []
    if syllables and all(s in _HANZI for s in syllables):
        return "".join(_HANZI[s] for s in syllables)  # family first, no spaces, as written
    return None


def _title(word: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


def _render(rng: random.Random, person: Person, words: list[str], style: str) -> str:
    shown = [w.replace("|", "") for w in words]
    if style == "upper":
        return " ".join(shown).upper()
    if style == "lower":
        return " ".join(shown)
    if style == "comma" and len(shown) >= 2:
        return f"{shown[-1].upper()}, {' '.join(_title(w) for w in shown[:-1])}"
    if style == "accent":
        i = rng.randrange(len(shown))
        letters = [j for j, c in enumerate(shown[i]) if c in _ACCENTED]
        if letters:
            j = rng.choice(letters)
            shown[i] = shown[i][:j] + _ACCENTED[shown[i][j]] + shown[i][j + 1 :]
    if style == "hyphen":
        joiner = rng.choice(["al ", "al", "el-", "Al "])
        shown = [joiner + w[3:] if w.startswith("al-") else w for w in shown]
    text = " ".join(_title(w) for w in shown)
    if style == "honorific":
        text = f"{rng.choice(_HONORIFICS[person.origin])} {text}"
    return text


_KINDS = {
    "typo": 26,
    "typo2": 8,
    "respell": 14,
    "respell+typo": 4,
    "drop_middle": 9,
    "initial": 6,
    "drop_article": 3,
    "split": 3,
    "reorder": 7,
    "script": 10,
    "style": 10,
}
_STYLES = {"title": 40, "comma": 15, "upper": 15, "lower": 8, "accent": 8, "honorific": 8}
_LOOKALIKES = {"same_family": 35, "same_given": 25, "fresh": 20, "dob_conflict": 20}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _random_date(rng: random.Random, first: int = 1940, last: int = 2000) -> date:
    return date(first, 1, 1) + timedelta(days=rng.randrange((last - first + 1) * 365))


def _country(rng: random.Random, countries: Sequence[str]) -> str | None:
    if not countries:
        return None
    country = rng.choice(countries)
    code = _CODES.get(country.lower())
    return code if code and rng.random() < 0.3 else country


def _variant(rng: random.Random, entry: SyntheticEntry, owners: dict[str, str]) -> LabelledQuery:
    for _ in range(20):
        found = _variant_name(rng, entry)
        # A variant that is exactly another listed name could be either person: no fair label.
        if owners.get(identity(found[0]), entry.uid) == entry.uid:
            break
    else:
        found = entry.person.sdn_name(), "exact"
    return _dated(rng, entry, *found)


def _variant_name(rng: random.Random, entry: SyntheticEntry) -> tuple[str, str]:
    person = entry.person
    if entry.aliases and rng.random() < 0.3:
        person = rng.choice(entry.aliases)[1]
    kind = _pick(rng, _KINDS)
    name = _script(person) if kind == "script" else None
    if name is None:
        words = _edit(rng, person, kind)
        if words is None:
            kind, words = "typo", _typo(rng, person.words())
        if words is None:
            kind, words = "style", person.words()
        style = _pick(rng, _STYLES | ({"hyphen": 8} if "al-" in "".join(words) else {}))
        name = _render(rng, person, words, style)
        kind = f"{kind}/{style}"
    return name, kind


def _dated(rng: random.Random, entry: SyntheticEntry, name: str, kind: str) -> LabelledQuery:
    roll = rng.random()
    born: date | None = None
    if entry.dob:
        born = entry.dob if roll < 0.85 else None if roll < 0.95 else entry.dob.replace(day=1)
    elif entry.years:
        born = None if roll < 0.1 else _random_date(rng, entry.years[0], entry.years[1])
    elif roll < 0.9:
        born = _random_date(rng)
    roll = rng.random()
    if roll < 0.6:
        country = _country(rng, entry.countries)
    elif roll < 0.9:
        country = None
    else:
        country = _country(rng, ["Panama", "Cyprus", "Turkey", "Germany"])  # lives elsewhere
    query = ScreeningQuery(name=name, date_of_birth=born, country=country)
    return LabelledQuery(query=query, expected_uid=entry.uid, kind=kind)


def _apart(new: Sequence[str], old: Sequence[str]) -> bool:
    return all(
        jellyfish.jaro_winkler_similarity(a.replace("|", ""), b.replace("|", "")) < 0.75
        for a in new
        for b in old
    )


def _subsets(tokens: Sequence[str]) -> list[str]:
    """Keys of the name and of every part of it with two tokens or more."""
    return [
        " ".join(sorted(part))
        for size in range(2, len(tokens) + 1)
        for part in itertools.combinations(tokens, size)
    ]


def _overlaps(person: Person, taken: set[str]) -> bool:
    """True when the name, or two of its tokens or more, is a listed name or part of one: a
    listed name with a middle name dropped is the same person, not a look-alike."""
    tokens = normalize_name(person.sdn_name()).cores
    return len(tokens) < 2 or any(key in taken for key in _subsets(tokens))


def _lookalike(rng: random.Random, entry: SyntheticEntry, taken: set[str]) -> LabelledQuery:
    kind = _pick(rng, _LOOKALIKES)
    person, born = entry.person, _random_date(rng) if rng.random() < 0.9 else None
    if kind == "dob_conflict" and (entry.dob or entry.years):
        listed = entry.dob.year if entry.dob else (entry.years or (0, 0))[0]
        year = listed + rng.choice([-1, 1]) * rng.randint(5, 20)
        born = _random_date(rng, year, year)
    else:
        kind = "fresh" if kind == "dob_conflict" else kind
        for _ in range(100):
            other = make_person(rng, person.origin, person.female)
            if kind == "same_family" and _apart(other.given, person.given):
                candidate = replace(person, given=other.given)
            elif kind == "same_given" and _apart(other.family, person.family):
                candidate = replace(person, family=other.family)
            elif kind == "fresh":
                candidate = other
            else:
                continue
            if not _overlaps(candidate, taken):
                person = candidate
                break
        else:
            kind = "fresh"
            fresh = (make_person(rng, person.origin) for _ in range(10_000))
            person = next(p for p in fresh if not _overlaps(p, taken))
    style = _pick(rng, {"title": 60, "upper": 20, "comma": 20})
    name = _render(rng, person, person.words(), style)
    country = _country(rng, entry.countries) if rng.random() < 0.5 else None
    query = ScreeningQuery(name=name, date_of_birth=born, country=country)
    return LabelledQuery(query=query, expected_uid=None, kind=f"lookalike:{kind}")


def labelled_queries(
    entries: Sequence[SyntheticEntry], count: int, seed: int, *, match_share: float = 0.7
) -> list[LabelledQuery]:
    """``count`` queries, ``match_share`` of them variants of listed names; deterministic."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    taken: set[str] = set()
    owners: dict[str, str] = {}
    for entry in entries:
        for person in (entry.person, *(a for _, a in entry.aliases)):
            taken.update(_subsets(normalize_name(person.sdn_name()).cores))
            owners[identity(person.sdn_name())] = entry.uid
    out = []
    for _ in range(count):
        entry = rng.choice(entries)
        if rng.random() < match_share:
            out.append(_variant(rng, entry, owners))
        else:
            out.append(_lookalike(rng, entry, taken))
    return out
