"""From what the documents showed to the stage's status, reasons and early outcome.

Pure logic. The order of precedence:

1. **refer** — a person must look: a file does not match its recorded hash, a file could not be
   read in time, a document names someone else or shows another SSN, the identity document
   does not match the applicant or has expired, or a field the decision rests on was read with
   low confidence.
2. **awaiting documents** — evidence a product needs is missing (or its file was unreadable):
   the applicant is told what to upload; the application is not declined.
3. **pass** — with any other finding (stated income the documents do not support, another
   address or employer) recorded as a reason, for the fraud and credit stages to weigh.

Descriptions state kinds, counts and field names, never a value a document holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from services.common.contracts import EarlyOutcome, Reason, StageName
from services.common.contracts.documents import DocumentKind
from services.common.contracts.stages import (
    MAX_PRINCIPAL_REASONS,
    MAX_STAGE_REASONS,
    DocumentsResult,
    DocumentsStatus,
)
from services.documents.fields import ExtractedPage, PageKind
from services.documents.verify import Verification, names_agree

ProblemKind = Literal["unreadable", "integrity", "timeout"]

REFER_FINDINGS: Final = frozenset({"NAME_MISMATCH", "SSN_MISMATCH"})
_KIND_NAMES: Final = {
    DocumentKind.W2: "W-2",
    DocumentKind.PAY_STUB: "recent pay stub",
    DocumentKind.BANK_STATEMENT: "bank statement",
    DocumentKind.TAX_RETURN: "tax return (Form 1040)",
    DocumentKind.UTILITY_BILL: "utility bill",
    DocumentKind.IDENTITY_DOCUMENT: "government-issued ID",
}


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that yielded no pages, and why (for the reasons; no content)."""

    kind: ProblemKind
    detail: str


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    verified: bool | None
    confidence: float | None
    expired: bool = False


def check_identity_document(
    pages: Sequence[ExtractedPage], *, full_name: str, date_of_birth: date, on: date
) -> IdentityCheck:
    """Whether the first identity document names the applicant with their date of birth."""
    card = next((page for page in pages if page.kind is PageKind.GOVERNMENT_ID), None)
    if card is None:
        return IdentityCheck(verified=None, confidence=None)
    name = card.fields.get("full_name")
    born = card.fields.get("date_of_birth")
    expires = card.fields.get("expiration_date")
    if name is None or born is None:
        return IdentityCheck(verified=False, confidence=card.kind_confidence)
    matches = names_agree(name.value, full_name) and born.value == date_of_birth.isoformat()
    expired = expires is not None and date.fromisoformat(expires.value) < on
    confidence = min(card.kind_confidence, name.confidence, born.confidence)
    return IdentityCheck(verified=matches and not expired, confidence=confidence, expired=expired)


def decide(
    *,
    uploaded: int,
    problems: Sequence[FileProblem],
    verification: Verification,
    identity: IdentityCheck,
    when_nothing_uploaded: Literal["await_documents", "continue"],
    now: datetime,
    stage_version: str,
    model_version: str,
) -> tuple[DocumentsResult, EarlyOutcome | None]:
    refer = _refer_reasons(problems, verification, identity)
    awaiting = _awaiting_reasons(problems, verification)
    pass_reasons = [
        Reason(code=finding.code, description=finding.description)
        for finding in verification.findings
        if finding.code not in REFER_FINDINGS
    ]
    status: DocumentsStatus
    if refer:
        status, principal = "refer", refer
    elif verification.missing_documents and (
        uploaded or when_nothing_uploaded == "await_documents"
    ):
        status, principal = "awaiting_documents", awaiting
    else:
        status, principal = "pass", []
    reasons = tuple(dict.fromkeys([*principal, *refer, *awaiting, *pass_reasons]))
    result = DocumentsResult(
        status=status,
        reasons=reasons[:MAX_STAGE_REASONS],
        completed_at=now,
        stage_version=stage_version,
        model_version=model_version if uploaded else None,
        documents_reviewed=uploaded,
        missing_documents=verification.missing_documents,
        verified_annual_income=verification.verified_annual_income,
        income_source=verification.income_source,
        identity_verified=identity.verified,
        business_revenue=verification.business_revenue,
        business_profit=verification.business_profit,
        bank_statements=verification.bank,
        identity_confidence=(
            None if identity.confidence is None else round(identity.confidence, 4)
        ),
    )
    ended = None
    if status != "pass":
        ended = EarlyOutcome(
            outcome="refer" if status == "refer" else "awaiting_documents",
            stage=StageName.DOCUMENTS,
            reasons=tuple(principal[:MAX_PRINCIPAL_REASONS]),
            decided_at=now,
        )
    return result, ended


def _refer_reasons(
    problems: Sequence[FileProblem], verification: Verification, identity: IdentityCheck
) -> list[Reason]:
    reasons = [
        *_counted(
            problems, "integrity", "DOCUMENT_INTEGRITY", "do not match the hash recorded at upload"
        ),
        *_counted(
            problems,
            "timeout",
            "DOCUMENT_NOT_PROCESSED",
            "could not be read in time; a person reviews them",
        ),
    ]
    reasons += [
        Reason(code=finding.code, description=finding.description)
        for finding in verification.findings
        if finding.code in REFER_FINDINGS
    ]
    if identity.expired:
        reasons.append(Reason(code="ID_EXPIRED", description="The identity document has expired."))
    elif identity.verified is False:
        reasons.append(
            Reason(
                code="ID_NOT_MATCHED",
                description="The identity document's name or date of birth differs from the "
                "application.",
            )
        )
    if verification.low_confidence_fields:
        names = ", ".join(verification.low_confidence_fields[:4])
        reasons.append(
            Reason(
                code="LOW_CONFIDENCE_EXTRACTION",
                description=f"Read with low confidence: {names}."[:200],
            )
        )
    return reasons


def _counted(
    problems: Sequence[FileProblem], kind: ProblemKind, code: str, what: str
) -> list[Reason]:
    """One reason for the files with this problem, stating how many: never which, never what."""
    count = sum(1 for problem in problems if problem.kind == kind)
    return [Reason(code=code, description=f"{count} file(s) {what}.")] if count else []


def _awaiting_reasons(problems: Sequence[FileProblem], verification: Verification) -> list[Reason]:
    reasons = []
    if verification.missing_documents:
        wanted = ", ".join(_KIND_NAMES.get(k, k.value) for k in verification.missing_documents)
        reasons.append(
            Reason(code="DOCUMENTS_MISSING", description=f"Please upload: {wanted}."[:200])
        )
    reasons += _counted(
        problems, "unreadable", "DOCUMENT_UNREADABLE", "could not be read; please upload them again"
    )
    return reasons
