"""A checking-account statement over two or three pages, with balances that add up."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from services.documents.fields import Transaction
from services.documents.synthetic.facts import ApplicantFacts
from services.documents.synthetic.figures import Figures
from services.documents.synthetic.forms import city_line
from services.documents.synthetic.layout import (
    LETTER,
    Page,
    Sheet,
    long_date,
    money,
    printed_date,
    printed_money,
)

BANKS: Final = ("First Prairie Bank", "Harborline Savings", "Granite Trust Bank", "Meridian Bank")
# fmt: off
MERCHANTS: Final = (
    "CORNER MARKET", "FRESHWAY GROCERY", "QUIKFUEL STATION", "BEAN & LEAF CAFE",
    "CITY TRANSIT FARE", "PAGEBOUND BOOKS", "HOMEWORKS HARDWARE", "SUNNY DAY PHARMACY",
    "NOODLE HOUSE", "STREAMFLIX SUBSCRIPTION", "RIDESHARE TRIP", "BIGBOX SUPERSTORE",
)
# fmt: on
OVERDRAFT_FEE: Final = Decimal("35.00")
FIRST_PAGE_ROWS: Final = 18
PAGE_ROWS: Final = 34
NSF_SHARE: Final = 0.3


def statement_period(application_date: date) -> tuple[date, date]:
    """The last full calendar month before the application."""
    end = application_date.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _cents(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(round(rng.uniform(low, high) * 100)) / 100


def _movements(
    facts: ApplicantFacts, figures: Figures, rng: random.Random, start: date, end: date
) -> list[tuple[date, str, Decimal]]:
    days = (end - start).days
    moves: list[tuple[date, str, Decimal]] = []
    if facts.self_employed:
        monthly = figures.documented_income / 12
        for share in (Decimal("0.45"), Decimal("0.55")):
            day = start + timedelta(days=rng.randint(3, days))
            moves.append((day, "ACH CREDIT CLIENT PAYMENT", (monthly * share).quantize(Decimal(1))))
    else:
        payroll = f"PAYROLL DIRECT DEP {facts.employer_name.upper()}"
        moves += [
            (day, payroll, figures.net_pay) for day in figures.pay_dates if start <= day <= end
        ]
    rent = Decimal(round(float(figures.documented_income) / 12 * rng.uniform(0.22, 0.32)))
    moves.append((start, "ONLINE TRANSFER RENT PAYMENT", -rent))
    bills = (("CITY POWER & LIGHT AUTOPAY", 55, 180), ("FIBERNET INTERNET", 50, 90))
    for name, low, high in (*bills, ("MOBILE WIRELESS BILL", 40, 110)):
        day = start + timedelta(days=rng.randint(4, days))
        moves.append((day, name, -_cents(rng, low, high)))
    for _ in range(rng.randint(14, 50)):
        day = start + timedelta(days=rng.randint(0, days))
        moves.append((day, f"CARD PURCHASE {rng.choice(MERCHANTS)}", -_cents(rng, 3.5, 140)))
    if rng.random() < 0.25:
        day = start + timedelta(days=rng.randint(0, days))
        moves.append((day, "ATM WITHDRAWAL", -Decimal(rng.choice((40, 60, 100, 200)))))
    # Rent leads its day so a thin opening balance dips below zero, as real overdrafts do.
    moves.sort(key=lambda move: (move[0], move[1] != "ONLINE TRANSFER RENT PAYMENT"))
    return moves


def bank_statement(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    start, end = statement_period(facts.application_date)
    bank = rng.choice(BANKS)
    account = f"{rng.randint(10**9, 10**10 - 1)}"
    last4 = account[-4:]
    thin = rng.random() < NSF_SHARE
    opening = _cents(rng, 20, 250) if thin else _cents(rng, 900, 7500)
    balance = opening
    rows: list[Transaction] = []
    charged = False
    for day, description, amount in _movements(facts, figures, rng, start, end):
        balance += amount
        rows.append(
            Transaction(
                posted_on=day, description=description, amount=money(amount), balance=money(balance)
            )
        )
        if balance < 0 and not charged:
            charged = True
            balance -= OVERDRAFT_FEE
            fee = Transaction(
                posted_on=day,
                description="NSF/OVERDRAFT FEE",
                amount=money(-OVERDRAFT_FEE),
                balance=money(balance),
            )
            rows.append(fee)
    closing = balance
    chunks = [rows[:FIRST_PAGE_ROWS]]
    chunks += [rows[i : i + PAGE_ROWS] for i in range(FIRST_PAGE_ROWS, len(rows), PAGE_ROWS)]
    holder = facts.full_name.upper()
    common = {
        "account_holder": holder,
        "bank_name": bank,
        "account_last4": last4,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
    }
    sheets = []
    for number, chunk in enumerate(chunks, start=1):
        page = Page(*LETTER)
        page.text(36, 52, bank, 16, face="bold")
        page.text(576, 52, f"Page {number} of {len(chunks)}", 8, align="right")
        page.text(36, 66, "Member FDIC   Customer service 1-800-555-0134", 7)
        page.text(576, 84, f"Account number: XXXXXX{last4}", 9, align="right")
        page.text(
            576, 98, f"Statement period: {long_date(start)} - {long_date(end)}", 9, align="right"
        )
        page.text(36, 84, holder, 10, face="bold")
        fields = dict(common)
        top = 120.0
        if number == 1:
            page.text(36, 98, facts.address_line1.upper(), 9)
            page.text(36, 110, city_line(facts).upper(), 9)
            deposits = sum((Decimal(t.amount) for t in rows if Decimal(t.amount) > 0), Decimal(0))
            withdrawals = sum(
                (Decimal(t.amount) for t in rows if Decimal(t.amount) < 0), Decimal(0)
            )
            page.rect(36, 124, 540, 70, fill=0.93)
            page.text(44, 140, "CHECKING ACCOUNT SUMMARY", 9, face="bold")
            summary = (
                (f"Opening balance on {printed_date(start)}", opening),
                ("Total deposits and credits", deposits),
                ("Total withdrawals and debits", withdrawals),
                (f"Closing balance on {printed_date(end)}", closing),
            )
            for row, (label, amount) in enumerate(summary):
                page.text(44, 154 + 12 * row, label, 8.5)
                page.text(
                    560,
                    154 + 12 * row,
                    printed_money(amount, dollar=True),
                    8.5,
                    face="mono",
                    align="right",
                )
            fields |= {"opening_balance": money(opening), "closing_balance": money(closing)}
            top = 210.0
        page.rect(36, top, 540, 16, fill=0.82)
        for x, label, align in (
            (42, "Date", "left"),
            (110, "Description", "left"),
            (470, "Amount", "right"),
            (568, "Balance", "right"),
        ):
            page.text(x, top + 11, label, 8.5, face="bold", align=align)  # type: ignore[arg-type]
        y = top + 30
        for item in chunk:
            page.text(42, y, printed_date(item.posted_on), 8.5, face="mono")
            page.text(110, y, item.description, 8.5)
            page.text(470, y, printed_money(Decimal(item.amount)), 8.5, face="mono", align="right")
            page.text(
                568, y, printed_money(Decimal(item.balance or "0")), 8.5, face="mono", align="right"
            )
            page.line(36, y + 4, 576, y + 4, 0.2)
            y += 16
        if number == len(chunks):
            page.text(470, y + 14, "Ending balance", 9, face="bold", align="right")
            page.text(
                568, y + 14, printed_money(closing, dollar=True), 9, face="mono", align="right"
            )
            fields["closing_balance"] = money(closing)
        sheets.append(Sheet(page, fields, tuple(chunk)))
    return sheets
