"""Proof of identity and of address: a driver's licence card and a utility bill."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from services.documents.synthetic.facts import ApplicantFacts
from services.documents.synthetic.figures import Figures
from services.documents.synthetic.forms import city_line
from services.documents.synthetic.layout import (
    CARD,
    LETTER,
    Page,
    Sheet,
    long_date,
    money,
    printed_date,
    printed_money,
)

STATE_NAMES: Final = {
    "IL": "ILLINOIS", "OH": "OHIO", "IA": "IOWA", "TX": "TEXAS", "CO": "COLORADO",
    "GA": "GEORGIA", "WA": "WASHINGTON", "NY": "NEW YORK", "AZ": "ARIZONA",
    "NC": "NORTH CAROLINA", "CA": "CALIFORNIA", "FL": "FLORIDA",
}  # fmt: skip
PROVIDERS: Final = ("Lakeside Power & Light", "Prairie Gas and Electric", "Tri-County Water")


def _birthday_in(born: date, year: int) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # born on 29 February
        return date(year, 2, 28)


def government_id(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    del figures
    issued = facts.application_date - timedelta(days=rng.randint(30, 1400))
    expires = _birthday_in(facts.date_of_birth, issued.year + 8)
    initial = facts.full_name.rpartition(" ")[2][0].upper()
    digits = f"{rng.randint(0, 10**11 - 1):011d}"
    number = f"{initial}{digits[:3]}-{digits[3:7]}-{digits[7:11]}"
    state = STATE_NAMES.get(facts.region, facts.region)
    page = Page(*CARD)
    page.rect(0, 0, CARD[0], CARD[1], fill=0.97, stroke=0)
    page.rect(0, 0, CARD[0], 26, fill=0.78, stroke=0)
    page.text(8, 13, state, 10, face="bold")
    page.text(8, 22, "DRIVER LICENSE", 6.5, face="bold")
    page.text(235, 13, "USA", 8, face="bold", align="right")
    page.text(235, 22, f"ISS {facts.region}", 6.5, align="right")
    page.rect(8, 34, 62, 78, fill=0.68, stroke=0.4)  # the holder's photograph
    x = 78.0
    page.text(x, 40, f"DL {number}", 8, face="bold")
    page.text(x, 52, f"EXP {printed_date(expires)}", 7)
    page.text(x + 80, 52, f"ISS {printed_date(issued)}", 7)
    page.text(x, 66, facts.full_name.upper(), 8.5, face="bold")
    page.text(x, 78, facts.address_line1.upper(), 6.5)
    page.text(x, 87, city_line(facts).upper(), 6.5)
    page.text(x, 101, f"DOB {printed_date(facts.date_of_birth)}", 7.5, face="bold")
    page.text(x, 112, f"CLASS D   HGT 5'-{rng.randint(1, 11):02d}\"   EYES BRO", 6)
    page.text(8, 140, facts.full_name.upper(), 9, face="bold")  # signature stand-in
    fields = {
        "full_name": facts.full_name.upper(),
        "date_of_birth": facts.date_of_birth.isoformat(),
        "document_number_last4": number[-4:],
        "address": facts.address.upper(),
        "issuing_state": facts.region,
        "expiration_date": expires.isoformat(),
    }
    return [Sheet(page, fields)]


def utility_bill(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    del figures
    provider = rng.choice(PROVIDERS)
    bill_date = facts.application_date - timedelta(days=rng.randint(5, 25))
    period_end = bill_date - timedelta(days=3)
    period_start = period_end - timedelta(days=29)
    usage = rng.randint(280, 1100)
    rate = Decimal("0.1420")
    charges = (
        ("Basic service charge", Decimal("12.50")),
        (f"Energy charge {usage} kWh x $0.1420", (rate * usage).quantize(Decimal("0.01"))),
        ("Delivery charge", Decimal(rng.randint(900, 2400)) / 100),
        ("Taxes and fees", Decimal(rng.randint(150, 900)) / 100),
    )
    due = sum((amount for _, amount in charges), Decimal(0))
    previous = Decimal(rng.randint(4000, 16000)) / 100
    holder = facts.full_name.upper()
    service = facts.address.upper()
    page = Page(*LETTER)
    page.text(36, 56, provider, 16, face="bold")
    page.text(36, 70, "Customer service 1-800-555-0199", 8)
    page.text(576, 56, "STATEMENT", 12, face="bold", align="right")
    page.text(576, 72, f"Bill date: {long_date(bill_date)}", 9, align="right")
    page.text(576, 86, f"Account number: {rng.randint(10**8, 10**9 - 1)}", 9, align="right")
    page.text(36, 104, holder, 10, face="bold")
    page.text(36, 118, facts.address_line1.upper(), 9)
    page.text(36, 130, city_line(facts).upper(), 9)
    page.text(36, 156, f"Service address: {service}", 9)
    page.text(
        36, 170, f"Service period: {printed_date(period_start)} - {printed_date(period_end)}", 9
    )
    page.rect(36, 186, 540, 16, fill=0.84)
    page.text(44, 197, "Account summary", 9, face="bold")
    rows = (
        ("Previous balance", previous),
        ("Payment received - thank you", -previous),
        *charges,
    )
    y = 218.0
    for label, amount in rows:
        page.text(44, y, label, 9)
        page.text(568, y, printed_money(amount), 9, face="mono", align="right")
        y += 15
    page.line(36, y - 6, 576, y - 6)
    page.rect(36, y + 4, 540, 40, fill=0.92)
    page.text(44, y + 22, "Amount due", 11, face="bold")
    page.text(568, y + 22, printed_money(due, dollar=True), 11, face="bold", align="right")
    page.text(44, y + 36, f"Please pay by {printed_date(bill_date + timedelta(days=21))}", 8)
    fields = {
        "account_holder": holder,
        "service_address": service,
        "provider": provider,
        "bill_date": bill_date.isoformat(),
        "amount_due": money(due),
    }
    return [Sheet(page, fields)]
