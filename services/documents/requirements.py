"""Which documents a product needs before an application can be judged, as data.

An application that lacks one waits ("awaiting documents") instead of being declined: the
applicant is told what to upload. Income evidence depends on how the applicant earns: an
employee shows a W-2, a recent pay stub or a tax return (Form 1040), a self-employed applicant
the tax return or a profit-and-loss statement (the tax return is what is asked for).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final

from services.common.catalogue import load_catalogue
from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.documents.fields import PageKind

Requirement = tuple[PageKind, ...]
"""Any one of these page kinds satisfies the requirement."""

INCOME: Final = "income"
IDENTITY: Final = "identity"
BANKING: Final = "banking"
ADDRESS: Final = "address"

DEFAULT_REQUIREMENTS: Final[Mapping[LoanProduct, tuple[str, ...]]] = MappingProxyType(
    {terms.product: terms.required_evidence for terms in load_catalogue().products}
)
"""Per product, the kinds of evidence it needs, from the product catalogue; a bank may
replace this table in settings."""

REQUESTED_AS: Final[Mapping[PageKind, DocumentKind]] = {
    PageKind.W2: DocumentKind.W2,
    PageKind.PAY_STUB: DocumentKind.PAY_STUB,
    PageKind.BANK_STATEMENT: DocumentKind.BANK_STATEMENT,
    PageKind.GOVERNMENT_ID: DocumentKind.IDENTITY_DOCUMENT,
    PageKind.FORM_1040: DocumentKind.TAX_RETURN,
    PageKind.UTILITY_BILL: DocumentKind.UTILITY_BILL,
    PageKind.PROFIT_AND_LOSS: DocumentKind.PROFIT_AND_LOSS,
}
"""The document to ask an applicant for, by the page kind that would satisfy the need."""


NEEDS: Final = frozenset({INCOME, IDENTITY, BANKING, ADDRESS})

Requirements = Mapping[LoanProduct, tuple[str, ...]]


def load_requirements(path: Path | None) -> Requirements:
    """A bank's table from JSON ``{"Home": ["income", "identity"], ...}``; the built-in one
    when ``path`` is None. Every product must be listed, so none silently needs nothing."""
    if path is None:
        return DEFAULT_REQUIREMENTS
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: expected an object of product -> list of needs")
    table: dict[LoanProduct, tuple[str, ...]] = {}
    for product, needs in raw.items():
        try:
            known = LoanProduct(product)
        except ValueError:
            raise ValueError(f"{path.name}: unknown product {product!r}") from None
        if not isinstance(needs, list) or not all(
            isinstance(need, str) and need in NEEDS for need in needs
        ):
            raise ValueError(f"{path.name}: {product}: needs are a list of {sorted(NEEDS)}")
        table[known] = tuple(needs)
    missing = set(LoanProduct) - set(table)
    if missing:
        raise ValueError(f"{path.name}: no requirements for {sorted(p.value for p in missing)}")
    return table


def evidence(need: str, employment: EmploymentStatus) -> Requirement:
    """The page kinds that satisfy ``need`` for an applicant with this employment."""
    if need == INCOME:
        if employment is EmploymentStatus.SELF_EMPLOYED:
            return (PageKind.FORM_1040, PageKind.PROFIT_AND_LOSS)
        return (PageKind.W2, PageKind.PAY_STUB, PageKind.FORM_1040)
    if need == IDENTITY:
        return (PageKind.GOVERNMENT_ID,)
    if need == BANKING:
        return (PageKind.BANK_STATEMENT,)
    if need == ADDRESS:
        return (PageKind.UTILITY_BILL, PageKind.BANK_STATEMENT)
    raise ValueError(f"unknown kind of evidence: {need!r}")


def missing_documents(
    product: LoanProduct,
    employment: EmploymentStatus,
    found: Sequence[PageKind],
    requirements: Requirements = DEFAULT_REQUIREMENTS,
) -> tuple[DocumentKind, ...]:
    """What to ask the applicant for: the first kind of each requirement no page satisfies."""
    present = set(found)
    missing: list[DocumentKind] = []
    for need in requirements.get(product, (INCOME, IDENTITY)):
        options = evidence(need, employment)
        if not present.intersection(options):
            requested = REQUESTED_AS[options[0]]
            if requested not in missing:
                missing.append(requested)
    return tuple(missing)
