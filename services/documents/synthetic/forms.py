"""Income documents laid out like the real forms: W-2 (copy B), a pay stub, Form 1040 page 1."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from services.documents.synthetic.facts import ApplicantFacts
from services.documents.synthetic.figures import (
    MEDICARE_RATE,
    SOCIAL_SECURITY_RATE,
    Figures,
    social_security_wages,
)
from services.documents.synthetic.layout import (
    CENT,
    LETTER,
    Page,
    Sheet,
    money,
    printed_date,
    printed_money,
)


def city_line(facts: ApplicantFacts) -> str:
    return f"{facts.city}, {facts.region} {facts.postal_code}"


def employer_address(facts: ApplicantFacts, rng: random.Random) -> tuple[str, str]:
    street = rng.choice(("Commerce Parkway", "Industrial Drive", "Main Street", "Market Plaza"))
    return f"{rng.randint(100, 9900)} {street}", city_line(facts)


def w2(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    wages = figures.w2_wages
    federal = (wages * figures.federal_rate).quantize(CENT)
    ss_wages = social_security_wages(wages, figures.tax_year)
    ein = f"{rng.randint(10, 98)}-{rng.randint(1000000, 9999999)}"
    employer_lines = (facts.employer_name, *employer_address(facts, rng))
    page = Page(*LETTER)
    left, mid, right = 36.0, 306.0, 576.0
    half = (right - mid) / 2
    page.boxed(
        left, 60, 170, 30, "a Employee's social security number", f"XXX-XX-{facts.ssn_last4}"
    )
    page.boxed(left + 170, 60, mid - left - 170, 30, "OMB No. 1545-0008")
    page.boxed(left, 90, mid - left, 30, "b Employer identification number (EIN)", ein)
    page.boxed(
        left, 120, mid - left, 56, "c Employer's name, address, and ZIP code", *employer_lines
    )
    page.boxed(left, 176, mid - left, 30, "d Control number", f"{rng.randint(10000, 99999)}")
    page.boxed(
        left, 206, mid - left, 30, "e Employee's first name and initial  Last name", facts.full_name
    )
    page.boxed(
        left, 236, mid - left, 46, "f Employee's address and ZIP code",
        facts.address_line1, city_line(facts),
    )  # fmt: skip
    boxes = (
        ("1 Wages, tips, other compensation", wages),
        ("2 Federal income tax withheld", federal),
        ("3 Social security wages", ss_wages),
        ("4 Social security tax withheld", (ss_wages * SOCIAL_SECURITY_RATE).quantize(CENT)),
        ("5 Medicare wages and tips", wages),
        ("6 Medicare tax withheld", (wages * MEDICARE_RATE).quantize(CENT)),
        ("7 Social security tips", None),
        ("8 Allocated tips", None),
        ("9", None),
        ("10 Dependent care benefits", None),
        ("11 Nonqualified plans", None),
        ("12a See instructions for box 12", None),
        ("13 Statutory employee / Retirement plan", None),
        ("14 Other", None),
    )
    for index, (label, amount) in enumerate(boxes):
        x = mid + half * (index % 2)
        y = 90 + 32 * (index // 2)
        page.boxed(x, y, half, 32, label)
        if amount is not None:
            page.text(x + half - 8, y + 24, printed_money(amount), 9.5, face="mono", align="right")
    page.boxed(left, 314, 150, 30, "15 State  Employer's state ID number", facts.region)
    page.boxed(left + 150, 314, 130, 30, "16 State wages, tips, etc.")
    page.text(left + 274, 338, printed_money(wages), 9.5, face="mono", align="right")
    page.boxed(left + 280, 314, right - left - 280, 30, "17 State income tax")
    page.text(left + 44, 370, "W-2", 22, face="bold")
    page.text(left, 362, "Form", 7)
    page.text(left + 110, 360, "Wage and Tax Statement", 13, face="bold")
    page.text(right, 370, str(figures.tax_year), 22, face="bold", align="right")
    page.text(left, 386, "Copy B - To Be Filed With Employee's FEDERAL Tax Return.", 7)
    page.text(right, 386, "Department of the Treasury - Internal Revenue Service", 7, align="right")
    fields = {
        "employee_name": facts.full_name,
        "employee_ssn_last4": facts.ssn_last4,
        "employee_address": facts.address,
        "employer_name": facts.employer_name,
        "employer_ein": ein,
        "tax_year": str(figures.tax_year),
        "wages": money(wages),
        "federal_tax_withheld": money(federal),
        "social_security_wages": money(ss_wages),
        "medicare_wages": money(wages),
    }
    return [Sheet(page, fields)]


def pay_stub(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    pay_date = figures.pay_date
    period_end = pay_date - timedelta(days=5)
    period_start = period_end - timedelta(days=13)
    periods = figures.periods_to_date(pay_date, facts.employment_start)
    gross, net = figures.gross_pay, figures.net_pay
    page = Page(*LETTER)
    street, town = employer_address(facts, rng)
    page.text(36, 60, facts.employer_name, 15, face="bold")
    page.text(36, 76, street, 9)
    page.text(36, 88, town, 9)
    page.text(576, 60, "EARNINGS STATEMENT", 13, face="bold", align="right")
    page.text(576, 76, f"Pay date: {printed_date(pay_date)}", 9, align="right")
    page.text(576, 88, f"Check no. {rng.randint(100000, 999999)}", 9, align="right")
    page.rect(36, 104, 540, 62, fill=0.94)
    page.text(44, 120, "Employee", 7)
    page.text(44, 134, facts.full_name, 10, face="bold")
    page.text(44, 148, facts.address_line1, 9)
    page.text(44, 160, city_line(facts), 9)
    page.text(330, 120, "Pay period", 7)
    page.text(330, 134, f"{printed_date(period_start)} - {printed_date(period_end)}", 10)
    page.text(
        330, 150, f"Employee ID {rng.randint(10000, 99999)}   SSN XXX-XX-{facts.ssn_last4}", 8
    )
    page.text(330, 162, "Pay frequency: Biweekly", 8)

    def table(top: float, title: str, rows: list[tuple[str, Decimal]]) -> float:
        page.rect(36, top, 540, 16, fill=0.85)
        page.text(44, top + 11, title, 9, face="bold")
        page.text(440, top + 11, "Current", 9, face="bold", align="right")
        page.text(568, top + 11, "Year to date", 9, face="bold", align="right")
        y = top + 30
        for label, amount in rows:
            page.text(44, y, label, 9)
            page.text(440, y, printed_money(amount), 9, face="mono", align="right")
            page.text(568, y, printed_money(amount * periods), 9, face="mono", align="right")
            y += 14
        page.line(36, y - 8, 576, y - 8)
        return y + 6

    y = table(184, "Earnings", [("Regular salary (80.00 hrs)", gross)])
    y = table(y, "Deductions", list(figures.deductions))
    page.rect(36, y, 540, 48, fill=0.94)
    totals = (("Gross pay", gross), ("Total deductions", gross - net), ("Net pay", net))
    for row, (label, amount) in enumerate(totals):
        line = y + 13 + 14 * row
        page.text(44, line, label, 9.5, face="bold" if label == "Net pay" else "regular")
        page.text(440, line, printed_money(amount), 9.5, face="mono", align="right")
        page.text(568, line, printed_money(amount * periods), 9.5, face="mono", align="right")
    page.text(36, y + 70, f"Deposited to checking account ending {rng.randint(1000, 9999)}", 8)
    fields = {
        "employee_name": facts.full_name,
        "employer_name": facts.employer_name,
        "pay_period_start": period_start.isoformat(),
        "pay_period_end": period_end.isoformat(),
        "pay_date": pay_date.isoformat(),
        "gross_pay": money(gross),
        "net_pay": money(net),
        "ytd_gross": money(gross * periods),
    }
    return [Sheet(page, fields)]


def form_1040(facts: ApplicantFacts, figures: Figures, rng: random.Random) -> list[Sheet]:
    wages = None if facts.self_employed else figures.w2_wages
    business = figures.documented_income if facts.self_employed else None
    interest = Decimal(rng.randint(0, 40_000)) / 100
    total = (wages or Decimal(0)) + (business or Decimal(0)) + interest
    # Half the self-employment tax is an adjustment to income (Schedule 1, line 15).
    adjustment = (
        (business * Decimal("0.9235") * Decimal("0.153") / 2).quantize(CENT)
        if business
        else Decimal(0)
    )
    agi = total - adjustment
    first, _, last = facts.full_name.rpartition(" ")
    page = Page(*LETTER)
    page.text(36, 50, "Form 1040", 16, face="bold")
    page.text(130, 44, "Department of the Treasury - Internal Revenue Service", 7)
    page.text(130, 56, "U.S. Individual Income Tax Return", 11, face="bold")
    page.text(576, 52, str(figures.tax_year), 20, face="bold", align="right")
    page.text(36, 74, f"For the year Jan. 1 - Dec. 31, {figures.tax_year}", 7)
    page.boxed(36, 80, 220, 30, "Your first name and middle initial", first)
    page.boxed(256, 80, 180, 30, "Last name", last)
    page.boxed(436, 80, 140, 30, "Your social security number", f"XXX-XX-{facts.ssn_last4}")
    page.boxed(36, 110, 400, 30, "Home address (number and street)", facts.address_line1)
    page.boxed(
        36, 140, 400, 30, "City, town, or post office, state, and ZIP code", city_line(facts)
    )
    page.text(36, 190, "Filing Status:  [X] Single   [ ] Married filing jointly", 8.5)
    page.text(36, 214, "Income", 11, face="bold")
    lines = (
        ("1a", "Total amount from Form(s) W-2, box 1", wages),
        ("1z", "Add lines 1a through 1h", wages),
        ("2b", "Taxable interest", interest),
        ("3b", "Ordinary dividends", None),
        ("7", "Capital gain or (loss)", None),
        ("8", "Additional income from Schedule 1, line 10", business),
        ("9", "Add lines 1z, 2b, 3b, 4b, 5b, 6b, 7, and 8. This is your total income", total),
        ("10", "Adjustments to income from Schedule 1, line 26", adjustment),
        ("11", "Subtract line 10 from line 9. This is your adjusted gross income", agi),
    )
    for row, (number, label, amount) in enumerate(lines):
        y = 236 + 22 * row
        page.line(36, y + 6, 576, y + 6, 0.3)
        page.text(40, y, number, 9, face="bold")
        page.text(66, y, label, 8.5)
        page.rect(470, y - 12, 106, 18)
        page.text(464, y, number, 8, align="right")
        if amount is not None:
            page.text(572, y, printed_money(amount), 9.5, face="mono", align="right")
    fields = {
        "taxpayer_name": facts.full_name,
        "taxpayer_ssn_last4": facts.ssn_last4,
        "tax_year": str(figures.tax_year),
        "total_income": money(total),
        "adjusted_gross_income": money(agi),
    }
    if wages is not None:
        fields["wages"] = money(wages)
    if business is not None:
        fields["business_income"] = money(business)
    return [Sheet(page, fields)]
