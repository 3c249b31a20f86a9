"""Passages of the policy knowledge base, and a BM25 retriever over them.

The knowledge base is a folder of markdown files (``knowledge/`` beside this module). Each
``## heading`` opens one passage; the line right under the heading names its stable id as an
HTML comment, ``<!-- id: reasons.high-dti -->``. Text before the first ``##`` (a file title,
an editor's note) is not a passage. Other files in the folder, such as the evaluation
questions, are not read.

``KnowledgeBase`` reads the passages once, builds an Okapi BM25 index over each passage's
title and text, and answers ``search(query, k)`` in microseconds: every term's contribution to
every passage is computed when the index is built, so a query only adds up a few numbers.
``version`` is a hash of the markdown files, so a narrative can record which passages
grounded it. ``Retriever`` is the interface a managed service (Amazon Bedrock Knowledge Bases)
can implement in place of the in-process index.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

KNOWLEDGE_DIR: Final = Path(__file__).with_name("knowledge")
"""The knowledge base that ships with the service."""

PASSAGE_SUFFIX: Final = ".md"
MIN_PASSAGE_WORDS: Final = 40
MAX_PASSAGE_WORDS: Final = 150
"""The length a passage should have: long enough to stand alone, short enough to quote whole.
The tests hold the shipped files to it; loading does not, so a long passage never stops the
service."""

DEFAULT_K1: Final = 1.5
DEFAULT_B: Final = 0.75
TITLE_WEIGHT: Final = 2
"""A title's terms count this many times: a heading says what the passage is about."""

_ID_PATTERN: Final = r"[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*"
_ID_LINE: Final = re.compile(rf"^<!--\s*id:\s*({_ID_PATTERN})\s*-->$")
_HEADING: Final = re.compile(r"^##\s+(\S.*?)\s*#*\s*$")
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_WORD: Final = re.compile(r"[a-z0-9]+")
_SPACES: Final = re.compile(r"\s+")


class KnowledgeFormatError(ValueError):
    """A knowledge file breaks the passage format: a missing or repeated id, an empty passage."""


@dataclass(frozen=True, slots=True)
class Passage:
    """One passage: a stable id, its heading, its text, the file it came from.

    ``score`` is zero as loaded; a search returns copies carrying their BM25 score.
    """

    id: str
    title: str
    text: str
    source: str
    score: float = 0.0

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@runtime_checkable
class Retriever(Protocol):
    """Anything that returns the passages best matching a query, best first."""

    def search(self, query: str, k: int = 3) -> list[Passage]: ...


# ---------------------------------------------------------------------------------------------
# Reading the files


def parse_passages(markdown: str, source: str) -> list[Passage]:
    """The passages of one markdown file, in file order; ``source`` names the file."""
    passages: list[Passage] = []
    lines = markdown.splitlines()
    starts = [number for number, line in enumerate(lines) if _HEADING.match(line)]
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        heading = _HEADING.match(lines[start])
        assert heading is not None
        title = heading.group(1)
        body = [line.strip() for line in lines[start + 1 : end]]
        while body and not body[0]:
            body.pop(0)
        id_line = _ID_LINE.match(body[0]) if body else None
        if id_line is None:
            raise KnowledgeFormatError(
                f"{source}:{start + 1}: passage {title!r} needs an id line under its heading, "
                "like '<!-- id: topic.name -->'"
            )
        text = _SPACES.sub(" ", _COMMENT.sub(" ", "\n".join(body[1:]))).strip()
        if not text:
            raise KnowledgeFormatError(f"{source}:{start + 1}: passage {title!r} has no text")
        passages.append(Passage(id=id_line.group(1), title=title, text=text, source=source))
    return passages


def _knowledge_files(directory: Path) -> list[Path]:
    files = sorted(
        (path for path in directory.iterdir() if path.suffix == PASSAGE_SUFFIX and path.is_file()),
        key=lambda path: path.name,
    )
    if not files:
        raise KnowledgeFormatError(f"no {PASSAGE_SUFFIX} files in {directory}")
    return files


def _version_of(contents: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, data in contents:
        encoded = name.encode()
        digest.update(f"{len(encoded)}:{len(data)}:".encode())
        digest.update(encoded)
        digest.update(data)
    return digest.hexdigest()[:16]


def load_passages(directory: Path = KNOWLEDGE_DIR) -> tuple[list[Passage], str]:
    """Every passage of the folder's markdown files (in file-name order) and their version.

    The version is the first 16 hex digits of a SHA-256 over each file's name and bytes, so any
    edit to any passage file, even to whitespace, changes it.
    """
    contents = [(path.name, path.read_bytes()) for path in _knowledge_files(directory)]
    passages: list[Passage] = []
    for name, data in contents:
        passages.extend(parse_passages(data.decode("utf-8"), name))
    seen: dict[str, str] = {}
    for passage in passages:
        if passage.id in seen:
            raise KnowledgeFormatError(
                f"passage id {passage.id!r} appears in {seen[passage.id]} and {passage.source}"
            )
        seen[passage.id] = passage.source
    return passages, _version_of(contents)


# ---------------------------------------------------------------------------------------------
# Tokens

_STOP_WORDS_TEXT: Final = """
    a about after all also am an and any are as at be because been before being both but by can
    could did do does doing done during each either else for from further get gets got had has
    have having he her here hers him his how however i if in into is it its itself just me might
    most must my myself no nor not now of off on once only or other our ours out over same shall
    she should so some such than that the their theirs them then there these they this those
    through to too under until up upon us very was we were what when where whether which while
    who whom whose why will with would yet you your yours yourself
"""
STOP_WORDS: Final = frozenset(_STOP_WORDS_TEXT.split())
"""Function words that say nothing about a topic. Deliberately small: words like "low",
"high", "more", "own" and "again" carry meaning here ("more years", "home owner", "apply
again") and are kept."""

_SPELLINGS: Final = {
    "catalogue": "catalog",
    "cheque": "check",
    "colour": "color",
    "instalment": "installment",
    "labelled": "labeled",
    "licence": "license",
    "recognised": "recognized",
}
"""British spellings an applicant or engineer may type, to the American ones the files use."""

_EXPANSIONS: Final[dict[str, tuple[str, ...]]] = {
    "dti": ("debt", "income", "ratio"),
    "fico": ("credit", "score"),
    "ssn": ("social", "security", "number"),
    "id": ("identity",),
    "ids": ("identity",),
    "mortgage": ("mortgage", "home"),
    "homeowner": ("home", "owner"),
    "homeowners": ("home", "owner"),
    "reapply": ("apply", "again"),
    "ecoa": ("equal", "credit", "opportunity"),
    "fcra": ("fair", "credit", "reporting"),
}
"""Abbreviations and compounds written out, on both sides, so "DTI" finds "debt-to-income"."""

_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "apply": ("applicant", "application"),
    "decline": ("reject", "rejection", "deny", "denied", "denial", "refuse", "refusal"),
    "approve": ("approval",),
    "refer": ("referral",),
    "car": ("auto", "automobile", "vehicle"),
    "home": ("house", "property"),
    "gold": ("jewelry", "jewellery", "bullion"),
    "education": ("tuition", "college", "university", "school"),
    "medical": ("hospital", "surgery", "doctor"),
    "renovation": ("renovate", "remodel", "remodeling", "refurbish"),
    "income": ("earnings", "salary", "wage"),
    "document": ("paperwork", "papers"),
    "automated": ("computer", "algorithm", "automatic"),
    "person": ("human",),
    "staff": ("officer", "underwriter"),
    "right": ("entitled", "entitlement"),
    "term": ("tenure", "duration"),
}
"""Words applicants use for the words the passages use. Matched on stems, so each entry covers
its inflections ("rejected", "houses"); kept to the lending vocabulary of this knowledge base."""

_JOINED: Final = (
    (re.compile(r"\bw-?2s?\b"), " w2 "),
    (re.compile(r"\b(?:form\s+)?1040s?\b"), " tax return "),
    (re.compile(r"\bpay\s*stubs?\b"), " paystub "),
    (re.compile(r"\bp\s*&\s*l\b"), " profit loss "),
    (re.compile(r"\bturn(?:s|ed|ing)?\s+down\b"), " declined "),
)
"""Terms that would fall apart into meaningless pieces if split on punctuation."""

_NO_UNDOUBLE: Final = frozenset("lsz")
"""After a suffix goes, a doubled last consonant is halved ("stopped") unless it is one of these."""

_SUFFIX_PASSES: Final = (
    (("ing", 3), ("ied", 3), ("ed", 3), ("ly", 4)),
    (("er", 3),),
)
"""Two passes, so "offered" and "offer" both end as one key."""


def stem(word: str) -> str:
    """A light suffix stripper: a plural, then one of -ing/-ied/-ed/-ly, then -er, then a final -e.

    Not a linguist's stemmer: it only has to send the common forms of a word ("payments",
    "paying"; "declined", "decline") to one key, and to do it the same way for passages and
    queries. Irregular forms ("paid") stay apart.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ification"):
        return word[: -len("ification")] + "ify"
    for suffixes in _SUFFIX_PASSES:
        word = _strip_one(word, suffixes)
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _strip_one(word: str, suffixes: tuple[tuple[str, int], ...]) -> str:
    for suffix, keep in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            word = word[: -len(suffix)] + ("y" if suffix == "ied" else "")
            if (
                suffix != "ly"
                and len(word) > 3
                and word[-1] == word[-2]
                and word[-1] not in _NO_UNDOUBLE
                and word[-1] not in "aeiouy"
            ):
                word = word[:-1]
            return word
    return word


_CANONICAL: Final = {
    stem(word): stem(canonical) for canonical, words in _SYNONYMS.items() for word in words
}


def tokenize(text: str) -> list[str]:
    """Lower-case terms of ``text``, stop words dropped, stemmed; empty when nothing is left."""
    lowered = text.lower()
    for pattern, replacement in _JOINED:
        lowered = pattern.sub(replacement, lowered)
    terms: list[str] = []
    for word in _WORD.findall(lowered):
        word = _SPELLINGS.get(word, word)
        for part in _EXPANSIONS.get(word, (word,)):
            if part in STOP_WORDS or (len(part) == 1 and not part.isdigit()):
                continue
            term = stem(part)
            terms.append(_CANONICAL.get(term, term))
    return terms


# ---------------------------------------------------------------------------------------------
# The index


class KnowledgeBase:
    """Passages and an Okapi BM25 index over their titles and texts; build once, search often.

    A passage's score for a query sums, over the query's distinct terms, the term's inverse
    document frequency times its saturated, length-normalised frequency in the passage
    (``k1`` controls saturation, ``b`` length normalisation). The IDF is the non-negative form
    ``ln(1 + (N - df + 0.5) / (df + 0.5))``, so a term that occurs everywhere adds little but
    never subtracts.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        version: str,
        *,
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
        title_weight: int = TITLE_WEIGHT,
    ) -> None:
        if k1 <= 0 or not 0 <= b <= 1 or title_weight < 1:
            raise ValueError("BM25 needs k1 > 0, 0 <= b <= 1 and a title weight of at least 1")
        ids = [passage.id for passage in passages]
        if len(set(ids)) != len(ids):
            raise KnowledgeFormatError("passage ids must be unique")
        self._passages: tuple[Passage, ...] = tuple(passages)
        self._by_id = {passage.id: passage for passage in self._passages}
        self._version = version
        self._weights = self._index(k1, b, title_weight)

    @classmethod
    def load(cls, directory: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
        """Read the folder's passages and index them with the default BM25 parameters."""
        passages, version = load_passages(directory)
        return cls(passages, version)

    def _index(
        self, k1: float, b: float, title_weight: int
    ) -> dict[str, tuple[tuple[int, float], ...]]:
        counts = [
            Counter(tokenize(passage.title) * title_weight + tokenize(passage.text))
            for passage in self._passages
        ]
        lengths = [sum(count.values()) for count in counts]
        average = sum(lengths) / len(lengths) if lengths else 0.0
        frequency: Counter[str] = Counter()
        for count in counts:
            frequency.update(count.keys())
        total = len(counts)
        postings: dict[str, list[tuple[int, float]]] = {}
        for position, count in enumerate(counts):
            norm = k1 * (1 - b + b * lengths[position] / average) if average else k1
            for term, tf in count.items():
                df = frequency[term]
                idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
                postings.setdefault(term, []).append((position, idf * tf * (k1 + 1) / (tf + norm)))
        return {term: tuple(entries) for term, entries in postings.items()}

    @property
    def version(self) -> str:
        return self._version

    @property
    def passages(self) -> tuple[Passage, ...]:
        return self._passages

    def get(self, passage_id: str) -> Passage | None:
        return self._by_id.get(passage_id)

    def __len__(self) -> int:
        return len(self._passages)

    def __iter__(self) -> Iterator[Passage]:
        return iter(self._passages)

    def search(self, query: str, k: int = 3) -> list[Passage]:
        """Up to ``k`` passages sharing a term with ``query``, best first, each with its score.

        Ties are broken by passage id, so equal scores always come back in the same order. A
        query with no known term (empty, stop words only, gibberish) returns an empty list.
        """
        if k <= 0:
            return []
        scores: dict[int, float] = {}
        for term in sorted(set(tokenize(query))):
            for position, weight in self._weights.get(term, ()):
                scores[position] = scores.get(position, 0.0) + weight
        best = heapq.nsmallest(
            k,
            ((-score, self._passages[position].id, position) for position, score in scores.items()),
        )
        return [
            replace(self._passages[position], score=-negative)
            for negative, _, position in best
            if negative < 0
        ]


@cache
def default_knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, read and indexed once per process."""
    return KnowledgeBase.load()
