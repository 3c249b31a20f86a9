"""Blocking: which listed names are worth scoring against a query, without a full scan.

Every token of every listed name (aliases included) is indexed under its padded character
trigrams, its one-letter deletions and two phonetic codes (Metaphone and NYSIIS). A query
collects the postings of its own keys, each weighted by how rare the key is, and only the
best-supported names are scored. A typo breaks two or three trigrams of a token but always
leaves a deletion key in common and often the phonetic codes; a transliteration
("Youssef"/"Yusuf") often keeps its codes; so the true name stays among the best supported,
while a common surname alone does not flood the candidates.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

import jellyfish
import numpy as np
from numpy.typing import NDArray

from services.fraud.watchlist.normalize import NormalizedName, metaphone

Postings = tuple[NDArray[np.int32], NDArray[np.float64]]
TOKEN_CACHE_SIZE = 4096

# A phonetic code or a deletion key stands for a whole token, a trigram for a sliver of one.
WHOLE_TOKEN_WEIGHT = 3.0


@lru_cache(maxsize=131072)
def token_keys(token: str) -> tuple[str, ...]:
    """The index keys of one token: padded trigrams, 'm:' and 'n:' phonetic codes, and 'd:'
    the token itself and, from four letters on, the token with any one letter deleted.

    Two tokens one edit apart (a letter dropped, added, changed or two swapped) always share
    a deletion key, even where a swap in a short name leaves no trigram in common
    ("Mawran"/"Marwan").
    """
    if len(token) < 2:
        return ()  # an initial says too little to look anything up by
    padded = f"^{token}$"
    grams = {padded[i : i + 3] for i in range(len(padded) - 2)}
    deletions = {f"d:{token}"}
    if len(token) >= 4:
        deletions.update(f"d:{token[:i]}{token[i + 1 :]}" for i in range(len(token)))
    phonetic = (f"m:{metaphone(token)}", f"n:{jellyfish.nysiis(token)}")
    return (*sorted(grams), *sorted(deletions), *phonetic)


def name_keys(name: NormalizedName) -> set[str]:
    """Keys of every token, and of its core too, so "Obeidi" finds "al-Obeidi"."""
    keys: set[str] = set()
    for token, core in zip(name.tokens, name.cores, strict=True):
        keys.update(token_keys(token))
        if core != token:
            keys.update(token_keys(core))
    return keys


class CandidateIndex:
    """Inverted indexes from token keys to the names that contain them, built once.

    ``limit`` bounds how many names one query scores. Keys carried by more than
    ``common_share`` of all names (and at least ``min_common``) are skipped unless a query
    token has nothing else: they would add thousands of postings and separate nothing.
    ``vocabulary`` is every listed token, for the scorer's known-names rule.
    """

    def __init__(
        self,
        names: Sequence[NormalizedName],
        *,
        limit: int = 20,
        common_share: float = 0.04,
        min_common: int = 200,
    ) -> None:
        postings: dict[str, list[int]] = defaultdict(list)
        self.vocabulary = frozenset(t for name in names for t in (*name.tokens, *name.cores))
        for position, name in enumerate(names):
            for key in name_keys(name):
                postings[key].append(position)
        self.size = len(names)
        self.limit = limit
        self.cap = max(min_common, int(common_share * self.size))
        self._postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}
        self._cache: dict[tuple[str, str], Postings | None] = {}
        self._weights = {
            key: math.log(1.0 + self.size / len(ids))
            * (WHOLE_TOKEN_WEIGHT if key[1] == ":" else 1.0)
            for key, ids in postings.items()
        }

    @property
    def keys(self) -> int:
        return len(self._postings)

    def candidates(self, name: NormalizedName) -> NDArray[np.int64]:
        """Positions of at most ``limit`` names, best supported first.

        Each query token scores every name by the weighted share of its keys the name holds,
        at most 1, and a name's support is the sum over the tokens: a name where every token
        finds a partner beats one that matches a single token perfectly.
        """
        parts = [
            self._token_postings(token, core)
            for token, core in zip(name.tokens, name.cores, strict=True)
        ]
        # A name written apart on one side and together on the other ("Lei Xiao"/"Leixiao"):
        # the two tokens glued, looked up as one exact token.
        for a, b in itertools.pairwise(name.tokens):
            ids = self._postings.get(f"d:{a}{b}")
            if ids is not None and len(ids) <= self.cap:
                parts.append((ids, np.ones(len(ids))))
        found_parts = [part for part in parts if part is not None]
        if not found_parts:
            return np.empty(0, dtype=np.int64)
        # Postings hold a name once per key and each group's weights sum to one, so one
        # bincount over all groups adds up to at most 1 per query token.
        ids = np.concatenate([ids for ids, _ in found_parts])
        weights = np.concatenate([weights for _, weights in found_parts])
        support = np.bincount(ids, weights=weights, minlength=self.size)
        # A name holding a tenth of the best support is never among the best ``limit``
        # in practice; leaving the rest out keeps the selection below cheap.
        found = (support >= 0.1 * support.max()).nonzero()[0]
        if len(found) > self.limit:
            best = np.argpartition(support[found], -self.limit)[-self.limit :]
            found = found[best]
        order: NDArray[np.int64] = found[np.argsort(-support[found], kind="stable")]
        return order

    def _token_postings(self, token: str, core: str) -> Postings | None:
        """The postings of one query token's keys with each posting's weight, the weights
        of the token summing to one; None when no key is indexed. Cached per token."""
        cache_key = (token, core)
        if cache_key in self._cache:
            return self._cache[cache_key]
        keys = sorted(k for k in {*token_keys(token), *token_keys(core)} if k in self._postings)
        result: Postings | None = None
        if keys:
            used = [k for k in keys if len(self._postings[k]) <= self.cap]
            if not used:  # only common keys: the rarest two still narrow things down
                used = sorted(keys, key=lambda k: (len(self._postings[k]), k))[:2]
            arrays = [self._postings[k] for k in used]
            raw = np.asarray([self._weights[k] for k in used])
            weights = np.repeat(raw / raw.sum(), [len(a) for a in arrays])
            result = (np.concatenate(arrays), weights)
        if len(self._cache) >= TOKEN_CACHE_SIZE:
            self._cache.clear()  # crude, but a query stream's common tokens refill it fast
        self._cache[cache_key] = result
        return result
