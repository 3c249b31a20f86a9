"""Tolerant matching of printed phrases against words, for labels and classification keywords.

OCR drops apostrophes, swaps ``l`` for ``1`` and ``O`` for ``0`` and merges or splits a word
now and then; matching compares simplified tokens and accepts near misses on longer ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Final

from services.documents.extract.words import Word

NUMBER: Final = "#"
"""A phrase token that stands for any token containing a digit (``Page # of #``)."""
MIN_SIMILARITY: Final = 0.78
MISS_EVERY: Final = 3
"""One unreadable word is forgiven per this many words of a label."""
_CONFUSABLE: Final = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "8": "b"})


@lru_cache(maxsize=65536)
def simplify(text: str) -> str:
    """Lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


@lru_cache(maxsize=65536)
def similarity(token: str, wanted: str) -> float:
    """1.0 for the same simplified token, down to 0 for nothing alike; exact below 4 letters."""
    if wanted == NUMBER:
        return 1.0 if any(ch.isdigit() for ch in token) else 0.0
    got = simplify(token)
    if got == wanted:
        return 1.0
    if len(wanted) < 4 or not got:
        # Short labels ("DL", "EXP") only tolerate the digit-for-letter confusions.
        return 0.9 if got.translate(_CONFUSABLE) == wanted.translate(_CONFUSABLE) else 0.0
    if abs(len(got) - len(wanted)) > max(2, len(wanted) // 3):
        return 0.0
    ratio = SequenceMatcher(None, got, wanted).ratio()
    return ratio if ratio >= MIN_SIMILARITY else 0.0


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(
        NUMBER if token == NUMBER else simplify(token)
        for token in phrase.split()
        if token == NUMBER or simplify(token)
    )


@dataclass(frozen=True)
class Match:
    words: tuple[Word, ...]
    score: float

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _content(line: list[Word]) -> list[Word]:
    # Punctuation-only tokens (a lone "-" or ":") never carry a label word.
    return [w for w in line if simplify(w.text)]


def _match_at(words: list[Word], start: int, wanted: tuple[str, ...]) -> Match | None:
    """``wanted`` from ``words[start]``, or None.

    Two tokens OCR glued into one word still match, and a long label may have one word
    misread beyond recognition; the score is the mean similarity, so such a match ranks below
    a clean one. The first and last words must match, which keeps the label's extent exact.
    """
    scores: list[float] = []
    used: list[Word] = []
    misses = 0
    index, position = start, 0
    while position < len(wanted):
        if index >= len(words):
            return None
        word = words[index]
        score = similarity(word.text, wanted[position])
        if (
            not score
            and position + 1 < len(wanted)
            and NUMBER not in wanted[position : position + 2]
        ):
            score = similarity(word.text, wanted[position] + wanted[position + 1])
            if score:
                position += 1
        if not score:
            edge = position in (0, len(wanted) - 1)
            misses += 1
            if edge or misses > len(wanted) // MISS_EVERY:
                return None
        scores.append(score)
        used.append(word)
        index += 1
        position += 1
    return Match(tuple(used), sum(scores) / len(scores))


def find_phrase(lines: list[list[Word]], phrase: str) -> list[Match]:
    """Every place ``phrase`` is printed on one line, best match first, then reading order."""
    wanted = phrase_tokens(phrase)
    if not wanted:
        return []
    found: list[Match] = []
    for line in lines:
        words = _content(line)
        for start in range(len(words)):
            if (match := _match_at(words, start, wanted)) is not None:
                found.append(match)
    return sorted(found, key=lambda m: (-m.score, m.y0, m.x0))
