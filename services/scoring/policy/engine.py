"""Load the credit-policy decision tables and evaluate them with zen-engine.

The tables are GoRules JDM files next to this module. Loading checks more than zen itself does,
because zen treats a cell it cannot evaluate, or a column that reads a missing field, as "no
match": a typo would quietly switch a knock-out off. Loading therefore fails, naming the file,
when a table reads a field the policy does not supply, has a cell that does not parse, or
produces values the result models reject.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

import zen
from pydantic import BaseModel, ConfigDict, ValidationError

from services.common.contracts.stages import RiskGrade
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
    from zen import EvaluateBatchRequest, EvaluateResponse

PD_DECIMALS = 6
"""zen compares numbers as decimals converted from binary floats, which can round a value a
hair below a cut-off onto it. Rounding the probability ourselves makes every cut-off compare
exactly as written in the table."""

_RELEASE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,50}$")
_CONTENT_DEFAULTS: Mapping[str, object] = {
    "outputPath": None,
    "passThrough": False,
    "executionMode": "single",
}


class PolicyLoadError(ValueError):
    """A policy table is missing, malformed, or inconsistent with the policy's models."""


class PolicyEvaluationError(RuntimeError):
    """zen could not evaluate a table, or a table produced no usable answer."""


class _GradeRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: RuleId
    grade: RiskGrade
    band: GradeBand


@dataclass(frozen=True)
class _TableSpec:
    """What the Python side relies on in one table; anything else an editor may change."""

    key: str
    settings: Mapping[str, object]
    readable_fields: frozenset[str]
    row_model: type[BaseModel]

    @property
    def file_name(self) -> str:
        return f"{self.key}.json"


_KNOCKOUTS = _TableSpec(
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
_GRADES = _TableSpec(
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
        raw_files: dict[str, bytes] = {}
        documents: dict[str, dict[str, Any]] = {}
        releases: dict[str, str] = {}
        for spec in _SPECS:
            raw_files[spec.file_name] = _read(directory, spec.file_name)
            documents[spec.key] = _parse(spec.file_name, raw_files[spec.file_name])
            try:
                releases[spec.file_name] = _check_table(spec, documents[spec.key])
            except (AttributeError, KeyError, TypeError) as error:
                # Wrong shapes (a list where a node belongs, a column without id) end up here.
                raise PolicyLoadError(f"{spec.file_name}: not a JDM graph: {error!r}") from error
        self._version = _policy_version(raw_files, releases)
        self._decisions = {spec.key: _compile(spec, documents[spec.key]) for spec in _SPECS}
        # The batch path looks decisions up by key, so the engine holds the already-parsed tables.
        self._engine = zen.ZenEngine({"loader": {"type": "static", "content": documents}})

    @property
    def version(self) -> str:
        """Human release from the tables' metadata, ``+``, 12 hex chars of their SHA-256."""
        return self._version

    def check_knockouts(self, facts: PolicyInput) -> PolicyResult:
        """Every knock-out rule the applicant trips; an empty tuple means policy passed."""
        response = self._evaluate(_KNOCKOUTS.key, facts.model_dump(mode="json"), trace=True)
        return self._knockout_result(response)

    def check_knockouts_batch(self, facts: Sequence[PolicyInput]) -> list[PolicyResult]:
        """Same answers as :meth:`check_knockouts`, in input order, evaluated by zen in one call."""
        requests: list[EvaluateBatchRequest] = [
            {"key": _KNOCKOUTS.key, "context": item.model_dump(mode="json")} for item in facts
        ]
        outcomes = self._engine.evaluate_batch(requests, {"trace": True})
        results = []
        for index, outcome in enumerate(outcomes):
            if not outcome.get("success"):
                raise PolicyEvaluationError(f"knock-outs failed for input {index}: {outcome}")
            results.append(self._knockout_result(outcome["data"]))
        return results

    def grade(self, probability_of_default: float) -> GradeResult:
        """Risk grade and band for a model's probability of default (0 to 1)."""
        response = self._evaluate(_GRADES.key, _grade_context(probability_of_default), trace=False)
        return self._grade_result(probability_of_default, response["result"])

    def grade_batch(self, probabilities: Sequence[float]) -> list[GradeResult]:
        """Same answers as :meth:`grade`, in input order, evaluated by zen in one call."""
        requests: list[EvaluateBatchRequest] = [
            {"key": _GRADES.key, "context": _grade_context(p)} for p in probabilities
        ]
        outcomes = self._engine.evaluate_batch(requests, {"trace": False})
        return [
            self._grade_result(p, outcome["data"]["result"] if outcome.get("success") else None)
            for p, outcome in zip(probabilities, outcomes, strict=True)
        ]

    def _grade_result(self, probability: float, row: Mapping[str, Any] | None) -> GradeResult:
        if not row:
            raise PolicyEvaluationError(f"no grade row matched pd={probability}")
        grade = _GradeRow.model_validate(row)
        return GradeResult(**grade.model_dump(), policy_version=self._version)

    def _evaluate(self, key: str, context: dict[str, Any], *, trace: bool) -> EvaluateResponse:
        try:
            return self._decisions[key].evaluate(context, {"trace": trace})
        except RuntimeError as error:
            raise PolicyEvaluationError(f"{key} table failed: {_first_line(error)}") from error

    def _knockout_result(self, response: EvaluateResponse) -> PolicyResult:
        # A missing list must not read as "nothing fired": that would pass every applicant.
        if "knockouts" not in response["result"]:
            raise PolicyEvaluationError(f"knock-out table returned no list: {response['result']}")
        return PolicyResult(
            knockouts=tuple(
                KnockOut.model_validate(row) for row in response["result"]["knockouts"]
            ),
            trace=_trace(response["trace"]),
            policy_version=self._version,
        )


def _grade_context(probability_of_default: float) -> dict[str, Any]:
    if not 0.0 <= probability_of_default <= 1.0:
        raise ValueError(f"probability of default must be in [0, 1], got {probability_of_default}")
    return {"pd": round(probability_of_default, PD_DECIMALS)}


def _read(directory: Traversable, file_name: str) -> bytes:
    try:
        return directory.joinpath(file_name).read_bytes()
    except OSError as error:
        raise PolicyLoadError(f"cannot read policy table {file_name} in {directory}") from error


def _parse(file_name: str, raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PolicyLoadError(f"{file_name} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyLoadError(f"{file_name} must hold a JSON object, a JDM decision graph")
    return document


def _check_table(spec: _TableSpec, document: dict[str, Any]) -> str:
    """Check what the Python side relies on; return the human release from the metadata."""
    name = spec.file_name
    release = (document.get("metadata") or {}).get("version")
    if not isinstance(release, str) or not _RELEASE_PATTERN.match(release):
        raise PolicyLoadError(f"{name}: metadata.version must be a short label like 1.2.0")
    tables = [node for node in document.get("nodes", []) if node.get("type") == "decisionTableNode"]
    if len(tables) != 1:
        raise PolicyLoadError(
            f"{name}: expected exactly one decisionTableNode, found {len(tables)}"
        )
    content = tables[0].get("content") or {}
    for setting, expected in spec.settings.items():
        actual = content.get(setting) or _CONTENT_DEFAULTS.get(setting)
        if actual != expected:
            raise PolicyLoadError(f"{name}: {setting} must be {expected!r}, found {actual!r}")
    inputs = {column["id"]: column.get("field") for column in content.get("inputs", [])}
    unknown = sorted(str(field) for field in inputs.values() if field not in spec.readable_fields)
    if unknown:
        raise PolicyLoadError(f"{name}: input columns read fields the policy lacks: {unknown}")
    outputs = {column["id"]: column["field"] for column in content.get("outputs", [])}
    for row in content.get("rules", []):
        _check_row(spec, row, inputs, outputs)
    return release


def _check_row(
    spec: _TableSpec, row: dict[str, str], inputs: dict[str, Any], outputs: dict[str, str]
) -> None:
    where = f"{spec.file_name}: row {row.get('_id')!r}"
    for column_id in inputs:
        condition = row.get(column_id, "").strip()
        if condition:
            try:
                zen.compile_unary_expression(condition)
            except RuntimeError as error:
                raise PolicyLoadError(f"{where}: bad condition {condition!r}") from error
    values = {}
    for column_id, field in outputs.items():
        try:
            # Output cells are literals, so evaluating without a context yields the row's value.
            values[field] = zen.evaluate_expression(row.get(column_id) or "null")
        except RuntimeError as error:
            raise PolicyLoadError(f"{where}: bad {field} output {row.get(column_id)!r}") from error
    try:
        checked = spec.row_model.model_validate(values)
    except ValidationError as error:
        raise PolicyLoadError(f"{where}: outputs rejected: {error}") from error
    # Traces name rows by _id, so each _id must say which rule it belongs to.
    rule_id = getattr(checked, "rule_id", "")
    if row.get("_id") != rule_id and not str(row.get("_id")).startswith(f"{rule_id}."):
        raise PolicyLoadError(f"{where}: _id must be {rule_id!r} or start with '{rule_id}.'")


def _compile(spec: _TableSpec, document: dict[str, Any]) -> zen.ZenDecision:
    try:
        decision = zen.ZenEngine().create_decision(json.dumps(document))
        decision.validate()
    except RuntimeError as error:
        raise PolicyLoadError(
            f"{spec.file_name}: zen rejected the graph: {_first_line(error)}"
        ) from error
    return decision


def _policy_version(raw_files: Mapping[str, bytes], releases: Mapping[str, str]) -> str:
    if len(set(releases.values())) != 1:
        raise PolicyLoadError(f"policy tables disagree on metadata.version: {dict(releases)}")
    digest = hashlib.sha256()
    for file_name in sorted(raw_files):
        # Length-prefixed so moving bytes from one file to the next cannot keep the same hash.
        digest.update(f"{file_name}\0{len(raw_files[file_name])}\0".encode())
        digest.update(raw_files[file_name])
    release = next(iter(releases.values()))
    return f"{release}+{digest.hexdigest()[:12]}"


def _trace(raw_trace: Mapping[str, Any]) -> PolicyTrace:
    steps = sorted(raw_trace.values(), key=lambda step: step["order"])
    matched_rows: list[str] = []
    for step in steps:
        trace_data = step.get("traceData")
        # A "collect" table traces a list of matches, a "first" table a single match.
        matches = trace_data if isinstance(trace_data, list) else [trace_data]
        matched_rows.extend(
            m["rule"]["_id"] for m in matches if isinstance(m, dict) and "rule" in m
        )
    return PolicyTrace(
        nodes=tuple(step["name"] for step in steps), matched_rows=tuple(matched_rows)
    )


def _first_line(error: BaseException) -> str:
    # zen appends a native stack backtrace to its messages; the first line carries the cause.
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__
