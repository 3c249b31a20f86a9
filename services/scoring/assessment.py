"""Policy, model, grade and reasons for a batch of applications whose credit files are in.

Everything here runs once per batch, not once per event: the knock-out table per row, the
model and the challenger over the whole table in one call each, contributions only for the rows
that are refused (the only ones owed reasons). ``handler`` turns each row's ``Assessment`` into
the scoring result.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.common.contracts import ChallengerScore, Reason
from services.scoring.model_input import Table
from services.scoring.policy import (
    PD_DECIMALS,
    CreditPolicy,
    GradeBand,
    GradeResult,
    PolicyInput,
    PolicyResult,
)
from services.scoring.reasons import (
    Catalogue,
    adverse_features_of_rows,
    contributions,
    principal_reasons,
)
from services.scoring.training.artifact import LoadedModel
from services.scoring.training.train import subset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    """What policy and model say about one application."""

    policy: PolicyResult
    grade: GradeResult
    probability: float
    reasons: tuple[Reason, ...]
    """Knock-outs first, then the model's strongest adverse features; only for refused rows."""
    challenger: ChallengerScore | None

    @property
    def refused(self) -> bool:
        return not self.policy.passed or self.grade.band is not GradeBand.APPROVE


@dataclass(frozen=True)
class BatchAssessment:
    rows: list[Assessment]
    challenger_failed: bool = False


def assess(
    table: Table,
    facts: Sequence[PolicyInput],
    *,
    model: LoadedModel,
    policy: CreditPolicy,
    catalogue: Catalogue,
    challenger: LoadedModel | None = None,
) -> BatchAssessment:
    """One ``Assessment`` per row of ``table`` (and of ``facts``), in order."""
    policy_results = policy.check_knockouts_batch(facts)
    probabilities = [float(pd) for pd in model.probability_of_default(table)]
    grades = policy.grade_batch(probabilities)
    refused = [
        index
        for index, (result, grade) in enumerate(zip(policy_results, grades, strict=True))
        if not result.passed or grade.band is not GradeBand.APPROVE
    ]
    reasons = _reasons(table, refused, policy_results, model, catalogue)
    shadow = _challenger_scores(table, challenger, policy)
    rows = [
        Assessment(
            policy=policy_results[index],
            grade=grades[index],
            probability=probabilities[index],
            reasons=reasons.get(index, ()),
            challenger=shadow[index] if shadow else None,
        )
        for index in range(len(facts))
    ]
    return BatchAssessment(rows, challenger_failed=challenger is not None and shadow is None)


def _reasons(
    table: Table,
    refused: list[int],
    policy_results: Sequence[PolicyResult],
    model: LoadedModel,
    catalogue: Catalogue,
) -> dict[int, tuple[Reason, ...]]:
    if not refused:
        return {}
    explained = contributions(model, subset(table, refused))
    adverse = adverse_features_of_rows(explained.values)
    found = {}
    for position, index in enumerate(refused):
        scored = principal_reasons(
            explained.row(position),
            policy_knockouts=policy_results[index].knockouts,
            catalogue=catalogue,
            adverse=adverse[position],
        )
        found[index] = tuple(_stage_reason(reason.code, reason.text) for reason in scored)
    return found


@lru_cache(maxsize=1024)
def _stage_reason(code: str, text: str) -> Reason:
    # A catalogue has a few dozen texts: the same frozen Reason serves every event stating it.
    return Reason(code=code, description=text)


def _challenger_scores(
    table: Table, challenger: LoadedModel | None, policy: CreditPolicy
) -> list[ChallengerScore] | None:
    """The challenger's grade for every row; None without one, or when it fails.

    A shadow model must never cost the champion its decision, so any failure of the
    challenger is logged and the batch goes on without its scores.
    """
    if challenger is None:
        return None
    try:
        probabilities = [float(pd) for pd in challenger.probability_of_default(table)]
        grades = policy.grade_batch(probabilities)
    except Exception:  # any failure: see the docstring
        log.exception("challenger model failed; batch decided by the champion alone")
        return None
    return [
        ChallengerScore(
            model_version=challenger.version,
            probability_of_default=round(pd, PD_DECIMALS),
            risk_grade=grade.grade,
        )
        for pd, grade in zip(probabilities, grades, strict=True)
    ]
