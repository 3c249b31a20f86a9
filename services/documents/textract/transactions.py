"""Bank statement transactions from Textract TABLES output.

A table counts as a transaction list only if one of its rows reads as a header with a date
column and either an amount column or withdrawal/deposit columns; rows after it become
transactions. Rows whose date or amount cannot be read (a "balance forward" line, a subtotal)
are skipped rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Final, Literal

from services.documents.fields import Transaction, normalise_date, normalise_money
from services.documents.textract.blocks import Table
from services.documents.textract.labels import label_key

Role = Literal["date", "balance", "withdrawal", "deposit", "amount", "description"]

# Checked in this order, so "Transaction Date" is a date and "Balance" never an amount.
_ROLE_WORDS: Final[tuple[tuple[Role, frozenset[str]], ...]] = (
    ("date", frozenset({"date", "posted"})),
    ("balance", frozenset({"balance"})),
    ("withdrawal", frozenset({"withdrawal", "withdrawals", "debit", "debits"})),
    ("deposit", frozenset({"deposit", "deposits", "credit", "credits"})),
    ("amount", frozenset({"amount"})),
    ("description", frozenset({"description", "details", "memo", "payee", "transaction"})),
)
_MAX_DESCRIPTION: Final = 200


def transactions(tables: Iterable[Table], *, year_hint: int | None) -> tuple[Transaction, ...]:
    """Every transaction in the tables that look like transaction lists, in printed order.

    ``year_hint`` (the statement period's year) completes dates printed as ``03/05``.
    """
    found: list[Transaction] = []
    for table in tables:
        found.extend(_from_table(table.rows, year_hint))
    return tuple(found)


def _from_table(rows: Sequence[Sequence[str]], year_hint: int | None) -> list[Transaction]:
    for index, row in enumerate(rows):
        columns = _header(row)
        if columns is not None:
            return [
                tx
                for body_row in rows[index + 1 :]
                if (tx := _transaction(body_row, columns, year_hint)) is not None
            ]
    return []


def _header(row: Sequence[str]) -> dict[Role, int] | None:
    columns: dict[Role, int] = {}
    for position, cell in enumerate(row):
        words = set(label_key(cell).split())
        for role, vocabulary in _ROLE_WORDS:
            if words & vocabulary:
                columns.setdefault(role, position)
                break
    has_money = bool({"amount", "withdrawal", "deposit"} & columns.keys())
    return columns if "date" in columns and has_money else None


def _transaction(
    row: Sequence[str], columns: dict[Role, int], year_hint: int | None
) -> Transaction | None:
    def cell(role: Role) -> str:
        position = columns.get(role)
        return row[position].strip() if position is not None and position < len(row) else ""

    posted_on = _date(cell("date"), year_hint)
    amount = _amount(cell("amount"), cell("withdrawal"), cell("deposit"))
    if posted_on is None or amount is None:
        return None
    balance = normalise_money(cell("balance")) if cell("balance") else None
    description = " ".join(cell("description").split())[:_MAX_DESCRIPTION]
    return Transaction(posted_on=posted_on, description=description, amount=amount, balance=balance)


def _date(text: str, year_hint: int | None) -> date | None:
    text = " ".join(text.split())
    if not text:
        return None
    iso = normalise_date(text)
    if iso is None and year_hint is not None:
        # Statements often print the day without the year; the period supplies it.
        if re.fullmatch(r"\d{1,2}[/-]\d{1,2}", text):
            iso = normalise_date(f"{text.replace('-', '/')}/{year_hint}")
        elif re.fullmatch(r"[A-Za-z]+\.? \d{1,2}", text):
            iso = normalise_date(f"{text}, {year_hint}")
    return date.fromisoformat(iso) if iso else None


def _amount(amount: str, withdrawal: str, deposit: str) -> str | None:
    if amount:
        return normalise_money(amount)
    if withdrawal and (value := normalise_money(withdrawal)) is not None:
        return value if value.startswith("-") or value == "0.00" else f"-{value}"
    if deposit and (value := normalise_money(deposit)) is not None:
        return value.removeprefix("-")
    return None
