"""Names as the index and the scorer compare them: folded to ASCII, tokenised, canonical;
and how two tokens compare.

Both the list and the query go through the same steps, so a choice made here (merging
"al-" into the next word, say) only has to be consistent, not linguistically right.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii

# Forms of address and ranks: they say nothing about who the person is, and applicants and
# lists add or omit them freely.
_HONORIFIC_TEXT = """
    mr mrs ms miss mx dr doctor prof professor sir dame lord lady madam mme mlle herr frau
    sheikh shaikh sheik shaykh haji hajji hajj hadji alhaj alhajj mullah mulla maulana maulvi
    imam gen general col colonel maj major capt captain lt lieutenant sgt sergeant brig
    brigadier adm admiral cmdr commander rev reverend fr father hon honourable honorable
    eng engr ing jr sr snr sra srta sen senator amb ambassador
"""
HONORIFICS = frozenset(_HONORIFIC_TEXT.split())

# Particles that are spelled attached, hyphenated or apart ("Al-Rashid", "Al Rashid",
# "Alrashid"); gluing them to the next word makes all three spellings one token.
PARTICLES = frozenset(
    {"al", "el", "ul", "abu", "abd", "abdul", "abdel", "abdal"}
    | {"de", "del", "della", "van", "von", "der", "den", "ter"}
)
_ARTICLES = frozenset({"al", "el"})
_BOUND = frozenset({"abu", "abd", "abdul", "abdel", "abdal"})
# "son/daughter of" between two names: lists and applicants keep or drop it at will. As the
# first or last word it is kept, because there it may be a name ("Bin" in Chinese).
CONNECTORS = frozenset({"bin", "ibn", "bint"})

_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_NON_LETTERS = re.compile(r"[^a-z]+")


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A name ready for comparison.

    ``tokens`` are in reading order with the family name last when the source said which it
    was ("LAST, First"); ``cores`` are the same tokens without merged particles, so a query
    that drops "al-" can still be compared with the bare word; ``key`` is the sorted tokens,
    independent of order.
    """

    tokens: tuple[str, ...]
    cores: tuple[str, ...]
    key: str

    @property
    def joined(self) -> str:
        return " ".join(self.tokens)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base.isascii():
        return base
    ascii_text: str = anyascii(char)
    # One ideograph is one syllable; without the spaces a Chinese name becomes one long token.
    if unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH"):
        return f" {ascii_text} "
    return ascii_text


def fold(text: str) -> str:
    """Lower-case ASCII: accents dropped, other scripts transliterated."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text.lower()
    return "".join(c if c.isascii() else _fold_char(c) for c in text).lower()


def _reorder(text: str) -> str:
    """'LAST, First Middle' becomes 'First Middle LAST'."""
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return " ".join(parts)
    return " ".join([*parts[1:], parts[0]])


def _drop_honorifics(words: list[str]) -> list[str]:
    kept: list[str] = []
    for i, word in enumerate(words):
        if word in HONORIFICS:
            continue
        if word in _ARTICLES and i + 1 < len(words) and words[i + 1] in HONORIFICS:
            continue  # the "al" of "al-Hajj"
        kept.append(word)
    kept = kept or words
    return [w for i, w in enumerate(kept) if w not in CONNECTORS or i in (0, len(kept) - 1)]


def _merge_particles(words: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tokens: list[str] = []
    cores: list[str] = []
    pending: list[str] = []
    for word in words:
        if word in PARTICLES:
            pending.append(word)
            continue
        token = "".join(pending) + word
        tokens.append(token)
        # "al-" or "van" can be dropped without changing the name; "abd" or "abu" cannot.
        cores.append(token if any(p in _BOUND for p in pending) else word)
        pending = []
    if pending:  # a trailing particle is a name of its own ("Mohammed Abdul")
        tokens.append("".join(pending))
        cores.append(tokens[-1])
    return tuple(tokens), tuple(cores)


def words(text: str) -> list[str]:
    """Folded, order-fixed, punctuation-free words, before honorifics and particles."""
    folded = _APOSTROPHES.sub("", fold(text))
    return _NON_LETTERS.sub(" ", _reorder(folded)).split()


@lru_cache(maxsize=65536)
def normalize_name(text: str) -> NormalizedName:
    """The comparable form of a person's name; empty tokens when nothing is left."""
    tokens, cores = _merge_particles(_drop_honorifics(words(text)))
    return NormalizedName(tokens=tokens, cores=cores, key=" ".join(sorted(tokens)))


# Comparing two tokens -----------------------------------------------------------------

CORE_DISCOUNT = 0.95  # a match found only once "al-" or "van" are set aside
# Tokens of five letters or more that sound alike are treated as at least this similar:
# "Yusuf"/"Youssef" is one name however far apart the letters are. Shorter codes are too
# coarse ("Zhou" and "Zhu" share theirs).
PHONETIC_FLOOR = 0.9
PHONETIC_MIN_LENGTH = 5
# Two different names both found on the list ("Khalid"/"Khadija", "Zhou"/"Zhu") are two
# people, however alike the letters; a typo rarely makes another listed name. Such a pair
# counts at most this similar, unless the two are spellings of one name by their skeleton.
KNOWN_DIFFERENT_CAP = 0.7
# Jaro-Winkler forgives a missing tail ("Feng"/"Fenghai" is 0.91); typos rarely change a
# token's length by more than one, so each further letter of difference caps the similarity.
LENGTH_STEP = 0.07

_SKELETON_MAP = {"q": "k", "c": "k", "z": "s", "j": "g", "x": "ks", "v": "f"}
_SKELETON = str.maketrans(_SKELETON_MAP | dict.fromkeys("aeiouyhw"))
_LEADING = str.maketrans(_SKELETON_MAP | dict.fromkeys("aeiouy"))
_DIGRAPHS = (("tch", "ch"), ("ch", "s"), ("sh", "s"), ("ph", "f"), ("kh", "k"))


@lru_cache(maxsize=131072)
def metaphone(token: str) -> str:
    return str(jellyfish.metaphone(token))


@lru_cache(maxsize=131072)
def skeleton(token: str) -> str:
    """Consonants with the letters transliterations disagree on merged: "Omar"/"Umar",
    "Said"/"Sayed", "Jamal"/"Gamal" share one."""
    for digraph, sound in _DIGRAPHS:
        token = token.replace(digraph, sound)
    # A leading "h" or "w" is a consonant of its own ("Howard" is not "Ward").
    letters = token[0].translate(_LEADING) + token[1:].translate(_SKELETON)
    return "".join(c for i, c in enumerate(letters) if i == 0 or c != letters[i - 1])


def _known_different(a: str, b: str, known: frozenset[str]) -> bool:
    """True when ``a`` and ``b`` are two different listed names, or two compounds that share
    one listed part and differ in the other ("Liangna"/"Liangyan", "Xiaoming"/"Xiaoping")."""
    if a in known and b in known:
        return _distinct(a, b)
    for i in range(2, len(a) - 1):
        head, tail = a[:i], a[i:]
        if b.startswith(head) and head in known and tail in known and b[i:] in known:
            return _distinct(tail, b[i:])
        if b.endswith(tail) and head in known and tail in known and b[: -len(tail)] in known:
            return _distinct(head, b[: -len(tail)])
    return False


def _distinct(a: str, b: str) -> bool:
    # Short names ("Xia"/"Xiao", "Tan"/"Tian") differ by the vowels the skeleton drops.
    if min(len(a), len(b)) < 4:
        return a != b
    return a != b and skeleton(a) != skeleton(b)


class PairCache:
    """How alike two tokens are, cached for one query: its candidates share tokens.

    Jaro-Winkler, capped by ``LENGTH_STEP`` when the lengths differ by two letters or more,
    raised to ``PHONETIC_FLOOR`` for long tokens with one Metaphone code, tried again without
    "al-" and the like (``CORE_DISCOUNT``), and capped at ``KNOWN_DIFFERENT_CAP`` when the
    two are different names of the list's own ``known`` vocabulary. An initial matches any
    token with its letter.
    """

    __slots__ = ("_known", "_sims")

    def __init__(self, known: frozenset[str] = frozenset()) -> None:
        self._sims: dict[tuple[str, str, str, str], tuple[float, bool]] = {}
        self._known = known

    def similarity(self, a: str, b: str, core_a: str, core_b: str) -> float:
        return self.pair(a, b, core_a, core_b)[0]

    def pair(self, a: str, b: str, core_a: str, core_b: str) -> tuple[float, bool]:
        """Similarity of two tokens, and whether they sound alike (same Metaphone code)."""
        key = (a, b, core_a, core_b)
        found = self._sims.get(key)
        if found is None:
            found = self._sims[key] = self._compare(a, b, core_a, core_b)
        return found

    def _compare(self, a: str, b: str, core_a: str, core_b: str) -> tuple[float, bool]:
        if len(a) == 1 or len(b) == 1:
            return (1.0 if a[0] == b[0] else 0.0), False
        value = _similarity(a, b, core_a, core_b)
        if value < 1.0 and _known_different(core_a, core_b, self._known):
            value = min(value, KNOWN_DIFFERENT_CAP)
        return value, metaphone(a) == metaphone(b)


def _similarity(a: str, b: str, core_a: str, core_b: str) -> float:
    if a == b:
        return 1.0
    if core_a != a and core_b != b:
        # Both carry "al-": agreeing on the article says nothing about the name.
        a, b = core_a, core_b
        value = _token_similarity(a, b)
    else:
        value = _token_similarity(a, b)
        if core_a != a or core_b != b:
            value = max(value, CORE_DISCOUNT * _token_similarity(core_a, core_b))
    return value


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    value = float(jellyfish.jaro_winkler_similarity(a, b))
    gap = abs(len(a) - len(b))
    if gap >= 2:
        value = min(value, 1.0 - LENGTH_STEP * gap)
    if min(len(a), len(b)) >= PHONETIC_MIN_LENGTH and metaphone(a) == metaphone(b):
        value = max(value, PHONETIC_FLOOR)
    return value
