"""The credit policy: knock-out and grade decision tables evaluated with zen-engine.

The tables are GoRules JDM files next to this module; ``services.common.decision_tables``
loads and checks them (a typo must fail loading, not switch a rule off quietly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict

from services.common.contracts.stages import RiskGrade
from services.common.decision_tables import (
    DecisionTableError,
    DecisionTables,
    OutputKey,
    TableEvaluationError,
    TableSpec,
    matched_rows,
    output_key,
    rows_by_output,
)
from services.scoring.policy.models import (
    GradeBand,
    GradeResult,
    KnockOut,
    PolicyInput,
    PolicyResult,
    PolicyTrace,
    RuleId,
)

if TYPE_CHECKING:
    from zen import EvaluateResponse

PD_DECIMALS = 6
"""zen compares numbers as decimals converted from binary floats, which can round a value a
hair below a cut-off onto it. Rounding the probability ourselves makes every cut-off compare
exactly as written in the table."""

PolicyLoadError = DecisionTableError
"""A policy table is missing, malformed, or inconsistent with the policy's models."""
PolicyEvaluationError = TableEvaluationError
"""zen could not evaluate a table, or a table produced no usable answer."""


class _GradeRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: RuleId
    grade: RiskGrade
    band: GradeBand


_KNOCKOUTS = TableSpec(
    key="knockouts",
    settings={
        "hitPolicy": "collect",
        "outputPath": "knockouts",
        "passThrough": False,
        "executionMode": "single",
    },
    readable_fields=frozenset(PolicyInput.model_fields)
    | frozenset(PolicyInput.model_computed_fields),
    row_model=KnockOut,
)
_GRADES = TableSpec(
    key="grades",
    settings={
        "hitPolicy": "first",
        "outputPath": None,
        "passThrough": False,
        "executionMode": "single",
    },
    readable_fields=frozenset({"pd"}),
    row_model=_GradeRow,
)
_SPECS = (_KNOCKOUTS, _GRADES)


def default_tables_dir() -> Traversable:
    return files("services.scoring.policy") / "tables"


class CreditPolicy:
    """The knock-out and grade tables, compiled once and stamped with one policy version."""

    def __init__(self, tables_dir: Traversable | None = None) -> None:
        directory = tables_dir if tables_dir is not None else default_tables_dir()
        self._tables = DecisionTables(directory, _SPECS)
        self._version = self._tables.version
        self._knockout_rows = rows_by_output(_KNOCKOUTS, self._tables.tables[_KNOCKOUTS.key])
        self._knockout_nodes = self._tables.tables[_KNOCKOUTS.key].nodes
        self._grade_results: dict[OutputKey, GradeResult] = {}

    @property
    def version(self) -> str:
        """Human release from the tables' metadata, ``+``, 12 hex chars of their SHA-256."""
        return self._version

    def check_knockouts(self, facts: PolicyInput) -> PolicyResult:
        """Every knock-out rule the applicant trips; an empty tuple means policy passed."""
        response = self._evaluate(_KNOCKOUTS.key, facts.model_dump(mode="json"), trace=True)
        return self._knockout_result(response)

    def check_knockouts_batch(self, facts: Sequence[PolicyInput]) -> list[PolicyResult]:
        """Same answers as :meth:`check_knockouts`, in input order.

        Without zen's trace, which costs twice the evaluation to build and convert: each
        knock-out row's outputs are unique (checked at load), so the outputs name the rows that
        matched, and the chain of nodes is fixed. A test holds both paths to the same answers.
        """
        return [
            self._untraced_knockout_result(
                self._evaluate(_KNOCKOUTS.key, item.model_dump(mode="json"), trace=False)
            )
            for item in facts
        ]

    def _untraced_knockout_result(self, response: EvaluateResponse) -> PolicyResult:
        matched = _knockout_list(response)
        rows = []
        for output in matched:
            key = output_key(output)
            if key not in self._knockout_rows:
                raise PolicyEvaluationError(f"knock-out output matches no table row: {output}")
            row_id, knockout = self._knockout_rows[key]
            rows.append((row_id, cast(KnockOut, knockout)))  # the row model is KnockOut
        return PolicyResult.model_construct(
            knockouts=tuple(knockout for _, knockout in rows),
            trace=PolicyTrace.model_construct(
                nodes=self._knockout_nodes, matched_rows=tuple(row_id for row_id, _ in rows)
            ),
            policy_version=self._version,
        )

    def grade(self, probability_of_default: float) -> GradeResult:
        """Risk grade and band for a model's probability of default (0 to 1)."""
        response = self._evaluate(_GRADES.key, _grade_context(probability_of_default), trace=False)
        return self._grade_result(probability_of_default, response["result"])

    def grade_batch(self, probabilities: Sequence[float]) -> list[GradeResult]:
        """Same answers as :meth:`grade`, in input order."""
        return [
            self._grade_result(
                p, self._evaluate(_GRADES.key, _grade_context(p), trace=False)["result"]
            )
            for p in probabilities
        ]

    def _grade_result(self, probability: float, row: Mapping[str, Any] | None) -> GradeResult:
        if not row:
            raise PolicyEvaluationError(f"no grade row matched pd={probability}")
        # A table has a handful of grade rows: each distinct output is validated once.
        key = output_key(row)
        if key not in self._grade_results:
            grade = _GradeRow.model_validate(row)
            self._grade_results[key] = GradeResult(
                **grade.model_dump(), policy_version=self._version
            )
        return self._grade_results[key]

    def _evaluate(self, key: str, context: dict[str, Any], *, trace: bool) -> EvaluateResponse:
        return self._tables.evaluate(key, context, trace=trace)

    def _knockout_result(self, response: EvaluateResponse) -> PolicyResult:
        return PolicyResult(
            knockouts=tuple(KnockOut.model_validate(row) for row in _knockout_list(response)),
            trace=_trace(response["trace"]),
            policy_version=self._version,
        )


def _knockout_list(response: EvaluateResponse) -> list[dict[str, Any]]:
    # A missing list must not read as "nothing fired": that would pass every applicant.
    if "knockouts" not in response["result"]:
        raise PolicyEvaluationError(f"knock-out table returned no list: {response['result']}")
    return list(response["result"]["knockouts"])


def _grade_context(probability_of_default: float) -> dict[str, Any]:
    if not 0.0 <= probability_of_default <= 1.0:
        raise ValueError(f"probability of default must be in [0, 1], got {probability_of_default}")
    return {"pd": round(probability_of_default, PD_DECIMALS)}


def _trace(raw_trace: Mapping[str, Any]) -> PolicyTrace:
    nodes, rows = matched_rows(raw_trace)
    return PolicyTrace(nodes=nodes, matched_rows=rows)
