"""The decision on one application, from its case: outcome, reasons with steps, offers.

* An application waiting for documents gets no decision: it is decided on the revision the
  documents stage emits once the files arrive.
* Referred by a stage → referred, with that stage's reasons.
* Declined by documents or fraud, or by scoring for the applicant (under age, no income, a
  recent bankruptcy, or a risk grade the policy declines) → declined, with the stage's reasons.
* Declined by scoring only for the request (this product's score minimum or debt-to-income cap,
  a student asking for a home loan, a term the product does not allow): if the applicant's risk
  grade is one the policy approves, the nearest affordable alternatives are a counter-offer.
* Passed every stage → approved with up to three options when the request is affordable,
  else a counter-offer, else declined because nothing is affordable.

Every reason carries a step the applicant can take, from ``actions.ACTIONS`` or, where scoring
computed one for that lever, scoring's own improvement tip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from services.common.contracts import ApplicationCase, Reason, StageName
from services.common.contracts.decision import (
    DecisionOutcome,
    LoanDecision,
    Offer,
    PrincipalReason,
)
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, RiskGrade
from services.offers.actions import action_for
from services.offers.borrower import borrower_of
from services.offers.options import Finding, Offerer, Proposal

REQUEST_KNOCKOUTS = frozenset({"KO-02", "KO-03", "KO-05", "KO-07", "KO-08", "KO-09"})
"""Credit-policy rules about the request, not the applicant: another product, amount or term
may pass them."""
APPROVABLE_GRADES = frozenset({RiskGrade.A, RiskGrade.B, RiskGrade.C})


@dataclass(frozen=True, slots=True)
class Draft:
    """The decision before its narrative is written."""

    decision: LoanDecision
    proposal: Proposal | None


def decide(case: ApplicationCase, offerer: Offerer, now: datetime) -> Draft | None:
    ended = case.early_outcome
    if ended is not None and ended.outcome == "awaiting_documents":
        return None
    tips = case.scoring.improvement_tips if case.scoring is not None else ()
    if ended is not None and ended.outcome == "refer":
        return _draft(
            case, DecisionOutcome.REFERRED, ended.stage, _reasons(ended.reasons, tips), now
        )
    if ended is not None and not _only_the_request_failed(case):
        return _draft(
            case, DecisionOutcome.DECLINED, ended.stage, _reasons(ended.reasons, tips), now
        )
    loan = case.application.loan
    proposal = offerer.propose(
        borrower_of(case), loan.product, Decimal(str(loan.amount)), loan.term_months
    )
    why = (
        _reasons(ended.reasons, tips)
        if ended is not None
        else _reasons(_as_reasons(proposal.findings), ())
    )
    if proposal.kind == "as_requested" and ended is None:
        return _draft(case, DecisionOutcome.APPROVED, StageName.OFFERS, (), now, proposal)
    if proposal.options:
        return _draft(case, DecisionOutcome.COUNTER_OFFERED, StageName.OFFERS, why, now, proposal)
    stage = ended.stage if ended is not None else StageName.OFFERS
    return _draft(case, DecisionOutcome.DECLINED, stage, why or _nothing_affordable(), now)


def _only_the_request_failed(case: ApplicationCase) -> bool:
    scoring = case.scoring
    ended = case.early_outcome
    if scoring is None or ended is None or ended.stage is not StageName.SCORING:
        return False
    knockouts = {rule for rule in scoring.policy_rule_ids if rule.startswith("KO-")}
    return (
        bool(knockouts)
        and knockouts <= REQUEST_KNOCKOUTS
        and scoring.risk_grade in APPROVABLE_GRADES
    )


def _as_reasons(findings: Sequence[Finding]) -> tuple[Reason, ...]:
    return tuple(Reason(code=f.code, description=f.description) for f in findings)


def _nothing_affordable() -> tuple[PrincipalReason, ...]:
    return _reasons(
        (
            Reason(
                code="NO_AFFORDABLE_OFFER",
                description="No amount and term of this or a similar product fits the income.",
            ),
        ),
        (),
    )


def _reasons(reasons: Sequence[Reason], tips: Sequence[str]) -> tuple[PrincipalReason, ...]:
    return tuple(
        PrincipalReason(
            code=reason.code, text=reason.description, action=action_for(reason.code, tips)
        )
        for reason in reasons[:MAX_PRINCIPAL_REASONS]
    )


def _draft(
    case: ApplicationCase,
    outcome: DecisionOutcome,
    decided_by: StageName,
    reasons: tuple[PrincipalReason, ...],
    now: datetime,
    proposal: Proposal | None = None,
) -> Draft:
    offers: tuple[Offer, ...] = ()
    if proposal is not None and outcome in (
        DecisionOutcome.APPROVED,
        DecisionOutcome.COUNTER_OFFERED,
    ):
        offers = tuple(
            Offer(
                offer_id=f"offer-{number}",
                product=option.product,
                secured=option.secured,
                amount=float(option.terms.principal),
                interest_rate=float(option.terms.interest_rate),
                apr=float(option.terms.apr),
                term_months=option.terms.term_months,
                monthly_payment=float(option.terms.monthly_payment),
                total_interest=float(option.terms.total_interest),
                label=option.label,
                fees=float(option.terms.fees),
                final_payment=float(option.terms.final_payment),
            )
            for number, option in enumerate(proposal.options, start=1)
        )
    scoring = case.scoring
    decision = LoanDecision(
        application_id=case.application_id,
        customer_id=case.application.customer_id,
        outcome=outcome,
        decided_by=decided_by,
        reasons=reasons,
        offers=offers,
        requested=case.application.loan,
        received_at=case.received_at,
        decided_at=max(now, case.received_at),
        policy_version=_policy_version(case),
        model_version=scoring.model_version if scoring is not None else None,
        stage_timings_ms=stage_timings(case, now),
        revision=case.revision,
        probability_of_default=scoring.probability_of_default if scoring is not None else None,
    )
    return Draft(decision, proposal)


def _policy_version(case: ApplicationCase) -> str:
    for result in (case.scoring, case.fraud, case.documents):
        if result is not None:
            return result.stage_version
    return "none"


def stage_timings(case: ApplicationCase, now: datetime) -> dict[StageName, float]:
    """Milliseconds from one stage's completion (ingest: acceptance) to the next's."""
    timings: dict[StageName, float] = {}
    previous = case.received_at
    for stage, result in (
        (StageName.DOCUMENTS, case.documents),
        (StageName.FRAUD, case.fraud),
        (StageName.SCORING, case.scoring),
    ):
        if result is not None and result.status != "skipped":
            timings[stage] = round(
                max(0.0, (result.completed_at - previous).total_seconds()) * 1000, 3
            )
            previous = result.completed_at
    timings[StageName.OFFERS] = round(max(0.0, (now - previous).total_seconds()) * 1000, 3)
    return timings
