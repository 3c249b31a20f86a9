"""Tips for a declined or referred application, found by re-scoring changed applications.

Each lever moves one input the applicant controls, in small steps, within fixed bounds:

- ``credit_score`` up by 10 points at a time, at most 150, never above 850;
- ``debt_to_income_ratio`` down by 1 point at a time, down to 0;
- ``requested_loan_amount`` down by 5 % of the request at a time, down to 30 % of it;
- ``loan_term`` to each longer term the product offers (``PRODUCT_PROFILES``).

Every candidate application is scored by the real model, all of one application's candidates in
one batch, and graded by the credit policy. A tip is the smallest step of one lever that alone
reaches the approve band. Only when no single lever does, two levers are combined on a coarse
grid (five points each) and the combination of least effort is offered, effort being the share
of each lever's range used. Every figure in a tip is one the search scored; when nothing within
the bounds reaches approval, there is no tip, not a guess. Knock-out rules are not searched:
they state their own condition in the reason text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from services.common.contracts.stages import RiskGrade
from services.scoring.data.products import PRODUCT_PROFILES
from services.scoring.policy import PD_DECIMALS, CreditPolicy, GradeBand, GradeResult
from services.scoring.reasons.catalogue import Catalogue, default_catalogue
from services.scoring.reasons.contributions import use_single_thread
from services.scoring.training.artifact import LoadedModel

Row = Mapping[str, Any]

CREDIT_SCORE_CEILING: Final = 850.0
SCORE_STEP: Final = 10
SCORE_REACH: Final = 150
DTI_STEP: Final = 1
AMOUNT_STEP_PERCENT: Final = 5
AMOUNT_FLOOR_PERCENT: Final = 30
COARSE_POINTS: Final = 5


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _points(value: float) -> str:
    return f"{_number(value)} point" + ("" if value == 1 else "s")


def _money(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _score_steps(row: Row) -> tuple[float, ...]:
    start = float(row["credit_score"])
    raised = (
        min(start + d, CREDIT_SCORE_CEILING) for d in range(SCORE_STEP, SCORE_REACH + 1, SCORE_STEP)
    )
    return tuple(sorted({v for v in raised if v > start}))


def _dti_steps(row: Row) -> tuple[float, ...]:
    start = float(row["debt_to_income_ratio"])
    if start <= 0:
        return ()
    lowered = [round(start - k * DTI_STEP, 2) for k in range(1, math.ceil(start / DTI_STEP))]
    return (*(v for v in lowered if v > 0), 0.0)


def _amount_steps(row: Row) -> tuple[float, ...]:
    start = float(row["requested_loan_amount"])
    shares = range(100 - AMOUNT_STEP_PERCENT, AMOUNT_FLOOR_PERCENT - 1, -AMOUNT_STEP_PERCENT)
    # Whole currency units, so the amount a tip names is exactly the one that was scored.
    amounts = (float(round(start * share / 100)) for share in shares)
    return tuple(dict.fromkeys(a for a in amounts if 0 < a < start))


def _term_steps(row: Row) -> tuple[float, ...]:
    profile = PRODUCT_PROFILES.get(str(row.get("loan_purpose")))
    start = float(row["loan_term"])
    return tuple(float(t) for t in profile.terms if t > start) if profile else ()


@dataclass(frozen=True)
class Lever:
    """One input a tip may change: its candidate values, smallest change first, and wording."""

    column: str
    candidates: Callable[[Row], tuple[float, ...]]
    phrase: Callable[[float, float], str]


LEVERS: Final = (
    Lever(
        "credit_score",
        _score_steps,
        lambda old, new: f"Raise your credit score by about {_points(new - old)}",
    ),
    Lever(
        "debt_to_income_ratio",
        _dti_steps,
        lambda old, new: (
            f"Lower your debt-to-income ratio by {_points(old - new)}, to {_number(new)} %"
        ),
    ),
    Lever(
        "requested_loan_amount",
        _amount_steps,
        lambda old, new: f"Ask for {_money(new)} instead of {_money(old)}",
    ),
    Lever(
        "loan_term",
        _term_steps,
        lambda old, new: f"Choose a term of {_number(new)} years instead of {_number(old)}",
    ),
)


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, serialize_by_alias=True
    )


class LeverChange(_Frozen):
    lever: str
    from_value: int | float = Field(alias="from")
    to_value: int | float = Field(alias="to")
    text: str


class Improvement(_Frozen):
    """A change that, scored by the model and graded by the policy, reaches the approve band."""

    changes: tuple[LeverChange, ...] = Field(min_length=1, max_length=2)
    text: str
    probability_of_default: float = Field(ge=0, le=1)
    grade: RiskGrade
    effort: float = Field(ge=0, description="Share of each lever's search range used, summed.")


class ImprovementSearch(_Frozen):
    probability_of_default: float = Field(ge=0, le=1)
    grade: RiskGrade
    band: GradeBand
    improvements: tuple[Improvement, ...] = ()
    model_version: str
    policy_version: str


@dataclass(frozen=True)
class _Move:
    lever: Lever
    start: float
    value: float
    effort: float

    def change(self) -> LeverChange:
        old, new = (int(v) if float(v).is_integer() else float(v) for v in (self.start, self.value))
        text = self.lever.phrase(self.start, self.value)
        return LeverChange(lever=self.lever.column, from_value=old, to_value=new, text=text)


@lru_cache(maxsize=8)
def approve_cutoff(policy: CreditPolicy) -> float:
    """The lowest probability of default, on the policy's rounding grid, that is not approved.

    Found by bisection through ``policy.grade``, so the cut-off is the table's, not a copy;
    it assumes the approve band starts at 0, and every tip is graded again by the policy.
    """
    grid: int = 10**PD_DECIMALS
    if policy.grade(0.0).band is not GradeBand.APPROVE:
        return 0.0
    if policy.grade(1.0).band is GradeBand.APPROVE:
        return math.inf
    approved, refused = 0, grid
    while refused - approved > 1:
        middle = (approved + refused) // 2
        if policy.grade(middle / grid).band is GradeBand.APPROVE:
            approved = middle
        else:
            refused = middle
    return refused / grid


def candidate_table(
    row: Row, columns: Sequence[str], changes: Sequence[Mapping[str, float]]
) -> dict[str, NDArray[Any]]:
    """One row per entry of ``changes``: the application with those columns replaced."""
    size = len(changes)
    table = {column: np.repeat(np.asarray([row[column]]), size) for column in columns}
    for column in {name for change in changes for name in change}:
        base = float(row[column])
        table[column] = np.fromiter(
            (change.get(column, base) for change in changes), dtype=np.float64, count=size
        )
    return table


def _active_moves(model: LoadedModel, row: Row, catalogue: Catalogue) -> list[list[_Move]]:
    used = model.encoder.spec.source_columns
    per_lever = []
    for lever in LEVERS:
        start = float(row[lever.column]) if lever.column in used else math.nan
        if math.isfinite(start) and catalogue.entry(lever.column).actionable:
            values = lever.candidates(row)
            moves = [_Move(lever, start, v, (i + 1) / len(values)) for i, v in enumerate(values)]
            per_lever.extend([moves] if moves else [])
    return per_lever


def _coarse(moves: list[_Move]) -> list[_Move]:
    """About ``COARSE_POINTS`` evenly spaced steps, always ending with the farthest one."""
    points = range(1, COARSE_POINTS + 1)
    return [
        moves[i] for i in sorted({math.ceil(k * len(moves) / COARSE_POINTS) - 1 for k in points})
    ]


def _improvement(moves: Sequence[_Move], grade: GradeResult, pd: float) -> Improvement:
    changes = tuple(move.change() for move in moves)
    texts = [changes[0].text, *(c.text[:1].lower() + c.text[1:] for c in changes[1:])]
    return Improvement(
        changes=changes,
        text=" and ".join(texts),
        probability_of_default=round(pd, PD_DECIMALS),
        grade=grade.grade,
        effort=round(sum(move.effort for move in moves), 4),
    )


@dataclass(frozen=True)
class _ScoredCandidates:
    groups: list[tuple[_Move, ...]]
    probabilities: NDArray[np.float64]
    screened: NDArray[np.bool_]

    def first_approved(self, indices: Iterable[int], policy: CreditPolicy) -> Improvement | None:
        """The first candidate of ``indices`` the policy itself grades into the approve band."""
        for index in indices:
            if not self.screened[index]:
                continue
            probability = float(self.probabilities[index])
            grade = policy.grade(probability)
            if grade.band is GradeBand.APPROVE:
                return _improvement(self.groups[index], grade, probability)
        return None


def suggest_improvements(
    model: LoadedModel,
    application: Row,
    policy: CreditPolicy,
    *,
    catalogue: Catalogue | None = None,
    probability_of_default: float | None = None,
) -> ImprovementSearch:
    """Search the levers for changes that take ``application`` (one row) to the approve band.

    ``probability_of_default`` is what ``model`` gave this row, when the caller has it already.
    """
    use_single_thread(model)
    columns = sorted(model.encoder.spec.source_columns)
    pd_now = (
        float(model.probability_of_default(candidate_table(application, columns, [{}]))[0])
        if probability_of_default is None
        else probability_of_default
    )
    now = policy.grade(pd_now)
    per_lever = _active_moves(model, application, catalogue or default_catalogue())
    found: list[Improvement] = []
    if now.band is not GradeBand.APPROVE and per_lever:
        groups: list[tuple[_Move, ...]] = [(move,) for moves in per_lever for move in moves]
        singles = len(groups)
        for first, second in combinations(per_lever, 2):
            groups.extend((a, b) for a in _coarse(first) for b in _coarse(second))
        changes = [{move.lever.column: move.value for move in group} for group in groups]
        probabilities = model.probability_of_default(candidate_table(application, columns, changes))
        scored = _ScoredCandidates(
            groups,
            probabilities,
            np.round(probabilities, PD_DECIMALS) < approve_cutoff(policy),
        )
        start = 0
        for moves in per_lever:
            tip = scored.first_approved(range(start, start + len(moves)), policy)
            start += len(moves)
            found.extend([tip] if tip is not None else [])
        if not found:
            by_effort = sorted(
                range(singles, len(groups)),
                key=lambda i: (sum(move.effort for move in groups[i]), float(probabilities[i])),
            )
            tip = scored.first_approved(by_effort, policy)
            found.extend([tip] if tip is not None else [])
    return ImprovementSearch(
        probability_of_default=round(pd_now, PD_DECIMALS),
        grade=now.grade,
        band=now.band,
        # A stable sort: equal effort keeps the lever order of LEVERS.
        improvements=tuple(sorted(found, key=lambda tip: tip.effort)),
        model_version=model.version,
        policy_version=now.policy_version,
    )
