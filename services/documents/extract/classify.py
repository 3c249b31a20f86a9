"""Which kind of document a page is, from weighted keyword evidence in its words.

Each kind has phrases that its pages print and others rarely do; a phrase counts once, scaled
by how well it matched. The kind with the most evidence wins if it has enough, and its
confidence falls as a second kind comes close.
"""

from __future__ import annotations

from typing import Final

from services.documents.extract.match import find_phrase
from services.documents.extract.words import Word, group_lines
from services.documents.fields import PageKind

EVIDENCE: Final[dict[PageKind, tuple[tuple[str, float], ...]]] = {
    PageKind.W2: (
        ("Wage and Tax Statement", 5.0),
        ("W-2", 1.0),
        ("Employer identification number", 3.0),
        ("Wages, tips, other compensation", 3.0),
        ("Social security wages", 2.0),
        ("Medicare wages and tips", 2.0),
        ("Employee's address and ZIP code", 2.0),
    ),
    PageKind.PAY_STUB: (
        ("Earnings Statement", 4.0),
        ("Net pay", 3.0),
        ("Gross pay", 2.0),
        ("Pay period", 3.0),
        ("Pay date", 2.0),
        ("Year to date", 2.0),
        ("Pay frequency", 2.0),
        ("Deductions", 1.0),
    ),
    PageKind.BANK_STATEMENT: (
        ("Statement period", 4.0),
        ("Opening balance", 3.0),
        ("Beginning balance", 3.0),
        ("Closing balance", 2.0),
        ("Ending balance", 2.0),
        ("Checking account summary", 3.0),
        ("Member FDIC", 2.0),
        ("Description Amount Balance", 3.0),
        ("Total deposits and credits", 2.0),
    ),
    PageKind.GOVERNMENT_ID: (
        ("Driver License", 5.0),
        ("Driver's License", 5.0),
        ("DOB", 3.0),
        ("EXP", 2.0),
        ("CLASS", 1.0),
        ("EYES", 1.0),
        ("HGT", 1.0),
    ),
    PageKind.FORM_1040: (
        ("Form 1040", 5.0),
        ("Individual Income Tax Return", 5.0),
        ("adjusted gross income", 3.0),
        ("Filing Status", 2.0),
        ("your total income", 2.0),
        ("Your social security number", 2.0),
    ),
    PageKind.UTILITY_BILL: (
        ("Amount due", 4.0),
        ("Service address", 4.0),
        ("Bill date", 3.0),
        ("Service period", 2.0),
        ("kWh", 2.0),
        ("Energy charge", 2.0),
        ("Please pay by", 2.0),
    ),
    PageKind.PROFIT_AND_LOSS: (
        ("Profit and Loss", 5.0),
        ("Income Statement", 4.0),
        ("Net profit", 3.0),
        ("Net income", 3.0),
        ("Total revenue", 3.0),
        ("Total expenses", 3.0),
        ("Operating expenses", 2.0),
        ("Business owner", 2.0),
        ("Accounting basis", 1.0),
    ),
}
MIN_EVIDENCE: Final = 4.0
"""Below this no kind is claimed: a page that shows one stray keyword is OTHER."""
STRONG_EVIDENCE: Final = 9.0


def scores(words: list[Word]) -> dict[PageKind, float]:
    lines = group_lines(words)
    totals: dict[PageKind, float] = {}
    for kind, phrases in EVIDENCE.items():
        total = 0.0
        for phrase, weight in phrases:
            matches = find_phrase(lines, phrase)
            if matches:
                total += weight * matches[0].score
        totals[kind] = total
    return totals


def classify(words: list[Word]) -> tuple[PageKind, float]:
    """The page's kind and a confidence in 0..1; OTHER when the evidence is too thin."""
    ranked = sorted(scores(words).items(), key=lambda item: -item[1])
    (best, top), (_, runner_up) = ranked[0], ranked[1]
    if top < MIN_EVIDENCE:
        return PageKind.OTHER, round(1.0 - top / MIN_EVIDENCE * 0.5, 4)
    margin = (top - runner_up) / top
    strength = min(1.0, top / STRONG_EVIDENCE)
    return best, round(max(0.0, min(1.0, margin * strength)), 4)
