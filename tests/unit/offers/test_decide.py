"""The decision on a case: approved, counter-offered, referred, declined, or not yet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.common.catalogue import load_catalogue
from services.common.contracts import EarlyOutcome, Reason, Scored, StageName
from services.common.contracts.decision import DecisionOutcome
from services.offers.decide import decide
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer
from tests.unit.contracts import samples

CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def offerer() -> Offerer:
    return Offerer(ProductRules(CATALOGUE))


def scored(
    *,
    scoring: dict[str, Any] | None = None,
    loan: dict[str, Any] | None = None,
    household: dict[str, Any] | None = None,
    employment: dict[str, Any] | None = None,
    early: EarlyOutcome | None = None,
) -> Scored:
    case = samples.scored()
    application = case.application
    updates: dict[str, Any] = {}
    for name, changes in (("loan", loan), ("household", household), ("employment", employment)):
        if changes:
            updates[name] = getattr(application, name).model_copy(update=changes)
    result = case.scoring.model_copy(
        update={"verified_debt_to_income_ratio": 10.0, **(scoring or {})}
    )
    return case.model_copy(
        update={
            "application": application.model_copy(update=updates),
            "scoring": result,
            "early_outcome": early,
        }
    )


def now_of(case: Scored) -> Any:
    return case.scoring.completed_at + timedelta(milliseconds=40)


def early(stage: StageName, outcome: str, *codes: str) -> EarlyOutcome:
    return EarlyOutcome(
        outcome=outcome,
        stage=stage,
        reasons=tuple(Reason(code=c, description=f"{c.lower()} explained") for c in codes),
        decided_at=samples.RECEIVED_AT + timedelta(seconds=5),
    )


def test_an_affordable_application_is_approved_with_options(offerer: Offerer) -> None:
    case = scored()
    draft = decide(case, offerer, now_of(case))
    assert draft is not None
    decision = draft.decision
    assert decision.outcome is DecisionOutcome.APPROVED and decision.decided_by is StageName.OFFERS
    assert 1 <= len(decision.offers) <= 3 and decision.reasons == ()
    assert {offer.label for offer in decision.offers} <= {
        "lowest total cost",
        "balanced",
        "lowest monthly payment",
    }
    balanced = next(offer for offer in decision.offers if offer.label == "balanced")
    assert balanced.amount == case.application.loan.amount and balanced.term_months == 60
    assert decision.policy_version == case.scoring.stage_version
    assert decision.model_version == case.scoring.model_version
    assert decision.stage_timings_ms[StageName.OFFERS] == 40.0
    assert set(decision.stage_timings_ms) == {
        StageName.DOCUMENTS,
        StageName.FRAUD,
        StageName.SCORING,
        StageName.OFFERS,
    }


def test_too_large_a_request_is_counter_offered_with_the_reason(offerer: Offerer) -> None:
    case = scored(loan={"amount": 90000.0, "term_years": 3.0})
    draft = decide(case, offerer, now_of(case))
    assert draft is not None
    decision = draft.decision
    assert decision.outcome is DecisionOutcome.COUNTER_OFFERED
    [reason] = decision.reasons
    assert reason.code == "DTI_ABOVE_CAP_AS_REQUESTED" and reason.action
    assert all(offer.amount < 90000 or offer.term_months > 36 for offer in decision.offers)


def test_a_student_refused_a_home_loan_by_the_policy_is_offered_education(
    offerer: Offerer,
) -> None:
    case = scored(
        scoring={"status": "reject", "risk_grade": "A", "policy_rule_ids": ("KO-05", "GR-A")},
        loan={"product": "Home", "amount": 120000.0, "term_years": 25.0},
        employment={"employment_status": "Student"},
        early=early(StageName.SCORING, "reject", "KO_STUDENT_HOME_LOAN"),
    )
    draft = decide(case, offerer, now_of(case))
    assert draft is not None
    decision = draft.decision
    assert decision.outcome is DecisionOutcome.COUNTER_OFFERED
    assert decision.offers[0].product == "Education"
    assert decision.reasons[0].code == "KO_STUDENT_HOME_LOAN"
    assert decision.reasons[0].action and "education" in decision.reasons[0].action


@pytest.mark.parametrize(
    ("rules", "grade"),
    [(("KO-06", "GR-B"), "B"), (("KO-02", "GR-E"), "E"), (("KO-02", "KO-04", "GR-A"), "A")],
)
def test_a_refusal_about_the_applicant_is_a_decline(
    offerer: Offerer, rules: tuple[str, ...], grade: str
) -> None:
    case = scored(
        scoring={"status": "reject", "risk_grade": grade, "policy_rule_ids": rules},
        early=early(StageName.SCORING, "reject", "KO_RECENT_BANKRUPTCY", "CREDIT_SCORE_TOO_LOW"),
    )
    draft = decide(case, offerer, now_of(case))
    assert draft is not None
    decision = draft.decision
    assert decision.outcome is DecisionOutcome.DECLINED and decision.offers == ()
    assert decision.decided_by is StageName.SCORING
    assert [r.code for r in decision.reasons] == ["KO_RECENT_BANKRUPTCY", "CREDIT_SCORE_TOO_LOW"]
    assert decision.reasons[1].action  # a step for what the applicant can change


def test_a_scoring_tip_is_the_step_for_its_lever(offerer: Offerer) -> None:
    tip = "Raise your credit score by about 40 points"
    case = scored(
        scoring={"status": "reject", "risk_grade": "E", "improvement_tips": (tip,)},
        early=early(StageName.SCORING, "reject", "CREDIT_SCORE_TOO_LOW", "TOO_MANY_OPEN_LOANS"),
    )
    draft = decide(case, offerer, now_of(case))
    assert draft is not None
    assert draft.decision.reasons[0].action == tip


def test_fraud_and_documents_outcomes_become_their_decisions(offerer: Offerer) -> None:
    rejected = scored(early=early(StageName.FRAUD, "reject", "VELOCITY_DEVICE"))
    referred = scored(early=early(StageName.FRAUD, "refer", "WATCHLIST_HIT"))
    waiting = scored(early=early(StageName.DOCUMENTS, "awaiting_documents", "DOCUMENTS_MISSING"))
    declined = decide(rejected, offerer, now_of(rejected))
    review = decide(referred, offerer, now_of(referred))
    assert declined is not None and declined.decision.outcome is DecisionOutcome.DECLINED
    assert declined.decision.decided_by is StageName.FRAUD
    assert review is not None and review.decision.outcome is DecisionOutcome.REFERRED
    assert review.decision.reasons[0].code == "WATCHLIST_HIT"
    assert review.decision.reasons[0].action is None  # nothing the applicant can do
    # Waiting for documents is not a decision: the resumed revision will be decided.
    assert decide(waiting, offerer, now_of(waiting)) is None


def test_the_decided_revision_is_recorded(offerer: Offerer) -> None:
    case = scored().model_copy(update={"revision": 2})
    draft = decide(case, offerer, now_of(case))
    assert draft is not None and draft.decision.revision == 2
