"""Vocabulary tables: printed form labels, Analyze Lending types and page-type names.

Labels are compared after ``label_key`` (lower case, punctuation dropped, single spaces), so the
tables below are written in that form. A label may also match once its leading box or line code
("1", "b", "1z", "box 2") is removed, which lets one entry cover "Net Pay" and "3 Net Pay".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from services.documents.fields import PageKind

Part = Literal["whole", "first_line", "range_start", "range_end", "name_first", "name_last"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a label's value goes: a field, and which part of the printed value it takes."""

    field: str
    part: Part = "whole"


_BOX_CODE = re.compile(r"^(?:box |line )?(?:\d{1,2}[a-z]?|[a-f]) (?=\S)")


def label_key(text: str) -> str:
    """The form labels are compared in."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def without_box_code(key: str) -> str:
    return _BOX_CODE.sub("", key, count=1)


def _table(entries: dict[Target, tuple[str, ...]]) -> dict[str, tuple[Target, ...]]:
    table: dict[str, tuple[Target, ...]] = {}
    for target, labels in entries.items():
        for label in labels:
            key = label_key(label)
            table[key] = (*table.get(key, ()), target)
    return table


FORM_LABELS: Final[dict[PageKind, dict[str, tuple[Target, ...]]]] = {
    PageKind.W2: _table(
        {
            Target("wages"): ("Wages, tips, other compensation", "Wages tips other comp"),
            Target("federal_tax_withheld"): ("Federal income tax withheld",),
            Target("social_security_wages"): ("Social security wages",),
            Target("medicare_wages"): ("Medicare wages and tips",),
            Target("employee_ssn_last4"): (
                "Employee's social security number",
                "Employee SSN",
                "SSN",
            ),
            Target("employer_ein"): ("Employer identification number (EIN)", "EIN"),
            Target("employer_name", "first_line"): (
                "Employer's name, address, and ZIP code",
                "Employer's name, address and ZIP code",
                "Employer name",
            ),
            Target("employee_name", "name_first"): ("Employee's first name and initial",),
            Target("employee_name", "name_last"): ("Last name",),
            Target("employee_name"): ("Employee's name", "Employee name"),
            Target("employee_address"): (
                "Employee's address and ZIP code",
                "Employee's address, and ZIP code",
            ),
            Target("tax_year"): ("Tax year",),
        }
    ),
    PageKind.PAY_STUB: _table(
        {
            Target("gross_pay"): ("Gross Pay", "Current Gross", "Gross Earnings", "Total Gross"),
            Target("net_pay"): ("Net Pay", "Net Amount", "Take Home Pay"),
            Target("ytd_gross"): ("YTD Gross", "Gross Pay YTD", "Year to Date Gross"),
            Target("pay_period_start", "range_start"): ("Pay Period",),
            Target("pay_period_end", "range_end"): ("Pay Period",),
            Target("pay_period_start"): ("Pay Period Start", "Period Beginning", "Period Start"),
            Target("pay_period_end"): ("Pay Period End", "Period Ending", "Period End"),
            Target("pay_date"): ("Pay Date", "Check Date", "Payment Date"),
            Target("employee_name"): ("Employee Name", "Employee"),
            Target("employer_name", "first_line"): ("Employer", "Employer Name", "Company"),
        }
    ),
    PageKind.BANK_STATEMENT: _table(
        {
            Target("account_last4"): ("Account Number", "Account No", "Account #", "Acct No"),
            Target("period_start", "range_start"): ("Statement Period", "For the period"),
            Target("period_end", "range_end"): ("Statement Period", "For the period"),
            Target("opening_balance"): (
                "Beginning Balance",
                "Opening Balance",
                "Previous Balance",
                "Starting Balance",
            ),
            Target("closing_balance"): ("Ending Balance", "Closing Balance", "New Balance"),
            Target("account_holder", "first_line"): ("Account Holder", "Account Name"),
            Target("bank_name"): ("Bank Name", "Bank"),
        }
    ),
    PageKind.FORM_1040: _table(
        {
            Target("wages"): ("Add lines 1a through 1h",),
            Target("business_income"): (
                "Additional income from Schedule 1, line 10",
                "Net profit or (loss)",
            ),
            Target("total_income"): (
                "Add lines 1z, 2b, 3b, 4b, 5b, 6b, 7, and 8. This is your total income",
                "This is your total income",
                "Total income",
            ),
            Target("adjusted_gross_income"): (
                "Subtract line 10 from line 9. This is your adjusted gross income",
                "This is your adjusted gross income",
                "Adjusted gross income",
            ),
            Target("taxpayer_name", "name_first"): ("Your first name and middle initial",),
            Target("taxpayer_name", "name_last"): ("Last name",),
            Target("taxpayer_ssn_last4"): ("Your social security number",),
            Target("tax_year"): ("Tax year",),
        }
    ),
    PageKind.UTILITY_BILL: _table(
        {
            Target("amount_due"): ("Amount Due", "Total Amount Due", "Amount Due Now", "Total Due"),
            Target("bill_date"): ("Bill Date", "Billing Date", "Statement Date"),
            Target("service_address"): ("Service Address", "Service Location"),
            Target("account_holder", "first_line"): ("Customer Name", "Account Holder", "Name"),
            Target("provider"): ("Provider", "Utility Provider"),
        }
    ),
    PageKind.PROFIT_AND_LOSS: _table(
        {
            Target("business_name", "first_line"): ("Business Name", "Company Name", "Business"),
            Target("owner_name", "first_line"): (
                "Business Owner",
                "Owner",
                "Owner Name",
                "Proprietor",
                "Prepared For",
            ),
            Target("period_start", "range_start"): ("For the period", "Reporting Period", "Period"),
            Target("period_end", "range_end"): ("For the period", "Reporting Period", "Period"),
            Target("period_start"): ("Period Start", "Period Beginning", "Start Date"),
            Target("period_end"): ("Period End", "Period Ending", "End Date"),
            Target("gross_revenue"): (
                "Total Revenue",
                "Total Revenues",
                "Gross Revenue",
                "Total Income",
                "Total Sales",
                "Gross Receipts",
            ),
            Target("total_expenses"): ("Total Expenses", "Total Operating Expenses"),
            Target("net_profit"): (
                "Net Profit",
                "Net Income",
                "Net Profit (Loss)",
                "Net Income (Loss)",
                "Net Profit or (Loss)",
            ),
        }
    ),
    PageKind.GOVERNMENT_ID: {},
    PageKind.OTHER: {},
}
"""Printed AnalyzeDocument FORMS labels per page kind."""

# Analyze Lending field types, chosen per kind. Types not listed are ignored, so a new type in a
# later model version costs nothing until it is added here.
LENDING_TYPES: Final[dict[PageKind, dict[str, Target]]] = {
    PageKind.W2: {
        "BOX_1_WAGES_TIPS_AND_OTHER_COMPENSATION": Target("wages"),
        "BOX_2_FEDERAL_INCOME_TAX_WITHHELD": Target("federal_tax_withheld"),
        "BOX_3_SOCIAL_SECURITY_WAGES": Target("social_security_wages"),
        "BOX_5_MEDICARE_WAGES_AND_TIPS": Target("medicare_wages"),
        "BOX_A_EMPLOYEE_SSN": Target("employee_ssn_last4"),
        "BOX_B_EMPLOYER_EIN": Target("employer_ein"),
        "BOX_C_EMPLOYER_NAME": Target("employer_name", "first_line"),
        "BOX_E_EMPLOYEE_NAME": Target("employee_name"),
        "BOX_F_EMPLOYEE_ADDRESS": Target("employee_address"),
        "TAX_YEAR": Target("tax_year"),
    },
    PageKind.PAY_STUB: {
        "PAY_PERIOD_START_DATE": Target("pay_period_start"),
        "PAY_PERIOD_END_DATE": Target("pay_period_end"),
        "PAY_DATE": Target("pay_date"),
        "CURRENT_GROSS_PAY": Target("gross_pay"),
        "CURRENT_NET_PAY": Target("net_pay"),
        "YTD_GROSS_PAY": Target("ytd_gross"),
        "EMPLOYEE_NAME": Target("employee_name"),
        "EMPLOYER_NAME": Target("employer_name", "first_line"),
    },
    PageKind.BANK_STATEMENT: {
        "ACCOUNT_NUMBER": Target("account_last4"),
        "ACCOUNT_HOLDER_NAME": Target("account_holder", "first_line"),
        "BANK_NAME": Target("bank_name"),
        "STATEMENT_START_DATE": Target("period_start"),
        "STATEMENT_END_DATE": Target("period_end"),
        "BEGINNING_BALANCE": Target("opening_balance"),
        "ENDING_BALANCE": Target("closing_balance"),
    },
    PageKind.FORM_1040: {
        "TAX_YEAR": Target("tax_year"),
        "TAXPAYER_NAME": Target("taxpayer_name"),
        "TAXPAYER_SSN": Target("taxpayer_ssn_last4"),
        "LINE_1Z_TOTAL_WAGES": Target("wages"),
        "LINE_8_ADDITIONAL_INCOME": Target("business_income"),
        "LINE_9_TOTAL_INCOME": Target("total_income"),
        "LINE_11_ADJUSTED_GROSS_INCOME": Target("adjusted_gross_income"),
    },
    PageKind.UTILITY_BILL: {
        "ACCOUNT_HOLDER_NAME": Target("account_holder", "first_line"),
        "SERVICE_ADDRESS": Target("service_address"),
        "UTILITY_PROVIDER_NAME": Target("provider"),
        "BILL_DATE": Target("bill_date"),
        "AMOUNT_DUE": Target("amount_due"),
    },
    # No Analyze Lending page type is mapped to a profit-and-loss statement yet (see
    # LENDING_PAGE_TYPES), so it has no lending fields either.
    PageKind.PROFIT_AND_LOSS: {},
    PageKind.GOVERNMENT_ID: {},
    PageKind.OTHER: {},
}

# AnalyzeExpense summary types, for pages Analyze Lending extracts as expense documents.
EXPENSE_TYPES: Final[dict[PageKind, dict[str, Target]]] = {
    PageKind.UTILITY_BILL: {
        "AMOUNT_DUE": Target("amount_due"),
        "INVOICE_RECEIPT_DATE": Target("bill_date"),
        "VENDOR_NAME": Target("provider"),
        "RECEIVER_NAME": Target("account_holder", "first_line"),
        "RECEIVER_ADDRESS": Target("service_address"),
    },
}

LENDING_PAGE_TYPES: Final[dict[str, PageKind]] = {
    "W2": PageKind.W2,
    "PAYSLIPS": PageKind.PAY_STUB,
    "BANK_STATEMENT": PageKind.BANK_STATEMENT,
    "IDENTITY_DOCUMENT": PageKind.GOVERNMENT_ID,
    "1040": PageKind.FORM_1040,
    "UTILITY_BILLS": PageKind.UTILITY_BILL,
}
"""Analyze Lending ``PageType`` values; every other value is ``PageKind.OTHER``. A
profit-and-loss statement is not listed: its page type name has not been confirmed, and a
wrong guess would misfile the page."""

# Phrases whose presence in a page's LINE text votes for a kind (used only when the caller does
# not already know the kind).
KIND_KEYWORDS: Final[dict[PageKind, tuple[str, ...]]] = {
    PageKind.W2: ("wage and tax statement", "form w 2", "w 2", "employer identification number"),
    PageKind.PAY_STUB: ("earnings statement", "pay stub", "net pay", "gross pay", "pay date"),
    PageKind.BANK_STATEMENT: (
        "account statement",
        "bank statement",
        "statement period",
        "beginning balance",
        "ending balance",
        "deposits",
        "withdrawals",
    ),
    PageKind.FORM_1040: (
        "form 1040",
        "individual income tax return",
        "adjusted gross income",
        "filing status",
    ),
    PageKind.UTILITY_BILL: ("amount due", "service address", "kwh", "utility", "meter"),
    PageKind.GOVERNMENT_ID: ("driver license", "drivers license", "identification card"),
    PageKind.PROFIT_AND_LOSS: (
        "profit and loss",
        "profit loss",
        "income statement",
        "net profit",
        "total revenue",
        "total expenses",
    ),
}
