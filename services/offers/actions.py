"""What an applicant can do about each reason: the step a decision states next to it.

Where scoring computed a tip for the same lever (re-scoring the application with a better
credit score, a lower debt-to-income ratio, a smaller amount or a longer term until it passed),
the tip is the step: it carries the applicant's own figure. Otherwise the step is the general
one below. A reason nothing the applicant does would change (a watch-list match, for instance)
has no step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

_LEVERS: Final[dict[str, tuple[str, ...]]] = {
    "credit score": (
        "CREDIT_SCORE_TOO_LOW",
        "KO_SCORE_BELOW_MINIMUM",
        "SCORE_BELOW_PRODUCT_MINIMUM",
        "REPAYMENT_HISTORY_WEAK",
    ),
    "debt-to-income": (
        "DEBT_TO_INCOME_TOO_HIGH",
        "DEBT_TO_INCOME_AFTER_LOAN_TOO_HIGH",
        "KO_DTI_ABOVE_CAP",
        "DTI_ABOVE_CAP_AS_REQUESTED",
        "PAYMENT_RELATIVE_TO_INCOME",
    ),
    "ask for": (
        "LOAN_AMOUNT_RELATIVE_TO_INCOME",
        "LOAN_AMOUNT_REQUESTED",
        "SAVINGS_LOW_FOR_LOAN_AMOUNT",
        "AMOUNT_OUTSIDE_PRODUCT_RANGE",
    ),
    "term": ("KO_TERM_OUT_OF_RANGE", "TERM_OUTSIDE_PRODUCT_RANGE", "KO_AGE_AT_MATURITY"),
}

ACTIONS: Final[dict[str, str]] = {
    "CREDIT_SCORE_TOO_LOW": "Pay every bill on time and keep card balances low to raise your "
    "credit score before applying again.",
    "KO_SCORE_BELOW_MINIMUM": "Raise your credit score to at least the product's minimum, or "
    "ask about a secured product.",
    "SCORE_BELOW_PRODUCT_MINIMUM": "Raise your credit score to at least the product's minimum.",
    "REPAYMENT_HISTORY_WEAK": "Keep every account current; missed payments weigh less as they age.",
    "DEBT_TO_INCOME_TOO_HIGH": "Pay down existing debts to lower your debt-to-income ratio.",
    "DEBT_TO_INCOME_AFTER_LOAN_TOO_HIGH": "Ask for a smaller amount or a longer term, or pay down "
    "existing debts first.",
    "KO_DTI_ABOVE_CAP": "Ask for a smaller amount or a longer term, or pay down existing debts.",
    "DTI_ABOVE_CAP_AS_REQUESTED": "Choose one of the offers, or pay down existing debts first.",
    "PAYMENT_RELATIVE_TO_INCOME": "Ask for a smaller amount or a longer term.",
    "LOAN_AMOUNT_RELATIVE_TO_INCOME": "Ask for a smaller amount.",
    "LOAN_AMOUNT_REQUESTED": "Ask for a smaller amount.",
    "SAVINGS_LOW_FOR_LOAN_AMOUNT": "Build up savings, or ask for a smaller amount.",
    "AMOUNT_OUTSIDE_PRODUCT_RANGE": "Ask for an amount within the product's range.",
    "KO_TERM_OUT_OF_RANGE": "Choose a term the product allows.",
    "TERM_OUTSIDE_PRODUCT_RANGE": "Choose a term the product allows.",
    "KO_AGE_AT_MATURITY": "Choose a shorter term.",
    "TOO_MANY_OPEN_LOANS": "Close or pay off some open loans before applying again.",
    "TIME_IN_EMPLOYMENT_TOO_SHORT": "Apply again after longer in your current job.",
    "KO_STUDENT_HOME_LOAN": "Consider the education or personal loans you qualify for.",
    "STUDENT_NO_HOME_LOAN": "Consider the education or personal loans you qualify for.",
    "HOME_IMPROVEMENT_OWNERS_ONLY": "Consider a personal loan for the work.",
    "KO_NO_INCOME": "Apply again once you have an income to repay from.",
    "NO_AFFORDABLE_OFFER": "Pay down existing debts or add income evidence, then apply again.",
    "DOCUMENTS_MISSING": "Upload the documents listed.",
    "DOCUMENT_UNREADABLE": "Upload a clear copy of each document.",
    "INCOME_NOT_SUPPORTED": "Upload documents that show your full income.",
    "LOW_CONFIDENCE_EXTRACTION": "Upload a clear copy of your income documents.",
}


def action_for(code: str, tips: Sequence[str]) -> str | None:
    """The step for ``code``: scoring's tip for the same lever if it computed one."""
    for lever, codes in _LEVERS.items():
        if code in codes:
            for tip in tips:
                if lever in tip.casefold():
                    return tip[:300]
    return ACTIONS.get(code)
