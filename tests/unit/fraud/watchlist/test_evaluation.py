"""Recall and precision of screening outcomes, at a score threshold."""

from __future__ import annotations

import pytest

from services.fraud.watchlist.evaluation import band_quality
from services.fraud.watchlist.models import Match


def match(uid: str, score: float) -> Match:
    band = "hit" if score >= 0.92 else "review"
    return Match(
        uid=uid, source="sdn", matched_name="X", primary_name="X", score=score, band=band, parts={}
    )


OUTCOMES = [
    ("sdn:1", [match("sdn:1", 0.97)]),  # found at both thresholds
    ("sdn:2", [match("sdn:9", 0.95), match("sdn:2", 0.88)]),  # found at review only
    ("sdn:3", []),  # missed
    (None, [match("sdn:4", 0.86)]),  # a look-alike reported at review
    (None, []),  # a look-alike rightly passed
]


def test_recall_and_precision_at_the_review_threshold() -> None:
    quality = band_quality(OUTCOMES, 0.85)
    assert (quality.expected, quality.found) == (3, 2)
    assert (quality.returned, quality.correct) == (4, 2)
    assert quality.recall == pytest.approx(2 / 3)
    assert quality.precision == pytest.approx(2 / 4)


def test_recall_and_precision_at_the_hit_threshold() -> None:
    quality = band_quality(OUTCOMES, 0.92)
    assert (quality.found, quality.returned, quality.correct) == (1, 2, 1)
    assert quality.recall == pytest.approx(1 / 3)
    assert quality.precision == pytest.approx(1 / 2)


def test_nothing_to_count_is_perfect_rather_than_undefined() -> None:
    quality = band_quality([(None, [])], 0.85)
    assert (quality.recall, quality.precision) == (1.0, 1.0)
