"""A bank statement's transactions, read from word positions.

The header row (Date, Description, Amount, Balance) fixes the columns: a row is a line below it
that starts with a date; its money words belong to whichever money column's right edge they
end nearest (amounts are right-aligned), and everything between the date and the first money
word is the description. The table ends at the first line that is not a row after rows began.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from services.documents.extract.anchors import money_text
from services.documents.extract.labels import MONEY
from services.documents.extract.match import find_phrase
from services.documents.extract.words import Word
from services.documents.fields import Transaction, normalise

HEADER: Final = "Date Description Amount Balance"
ROW_DATE: Final = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
MONEY_WORD: Final = re.compile(MONEY)


def _money(word: Word) -> str | None:
    match = MONEY_WORD.fullmatch(word.text.strip())
    return normalise("money", money_text(match.group(0))) if match else None


def _posted(text: str) -> date | None:
    value = normalise("date", text)
    return date.fromisoformat(value) if value else None


def transactions(lines: list[list[Word]]) -> tuple[Transaction, ...]:
    """The rows of the page's transaction table; empty when the page has none."""
    headers = find_phrase(lines, HEADER)
    if not headers:
        return ()
    header = headers[0]
    _, description, amount, balance = header.words
    columns = {"amount": amount.x1, "balance": balance.x1}
    rows: list[Transaction] = []
    for line in lines:
        if not line or line[0].cy <= header.y1:
            continue
        first = line[0]
        if first.x1 > description.x0 or not ROW_DATE.fullmatch(first.text):
            if rows:
                break
            continue
        posted = _posted(first.text)
        values: dict[str, str] = {}
        text_words: list[Word] = []
        for word in line[1:]:
            money = _money(word) if word.x1 > (description.x0 + amount.x0) / 2 else None
            if money is None:
                if not values:
                    text_words.append(word)
                continue
            column = min(columns, key=lambda c: abs(columns[c] - word.x1))
            values.setdefault(column, money)
        if posted is None or "amount" not in values or not text_words:
            continue
        rows.append(
            Transaction(
                posted_on=posted,
                description=" ".join(w.text for w in text_words)[:200],
                amount=values["amount"],
                balance=values.get("balance"),
            )
        )
    return tuple(rows)
