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
    from zen import EvaluateResponse

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
        checked: dict[str, _CheckedTable] = {}
        for spec in _SPECS:
            raw_files[spec.file_name] = _read(directory, spec.file_name)
            documents[spec.key] = _parse(spec.file_name, raw_files[spec.file_name])
            try:
                checked[spec.key] = _check_table(spec, documents[spec.key])
            except (AttributeError, KeyError, TypeError) as error:
                # Wrong shapes (a list where a node belongs, a column without id) end up here.
                raise PolicyLoadError(f"{spec.file_name}: not a JDM graph: {error!r}") from error
            releases[spec.file_name] = checked[spec.key].release
        self._version = _policy_version(raw_files, releases)
        for spec in _SPECS:
            _validate_graph(spec, documents[spec.key])
        # The batch path looks decisions up by key, so the engine holds the already-parsed tables.
        self._engine = zen.ZenEngine({"loader": {"type": "static", "content": documents}})
        self._knockout_rows = _rows_by_output(checked[_KNOCKOUTS.key])
        self._knockout_nodes = checked[_KNOCKOUTS.key].nodes
        self._grade_results: dict[_OutputKey, GradeResult] = {}

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
            key = _output_key(output)
            if key not in self._knockout_rows:
                raise PolicyEvaluationError(f"knock-out output matches no table row: {output}")
            rows.append(self._knockout_rows[key])
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
        key = _output_key(row)
        if key not in self._grade_results:
            grade = _GradeRow.model_validate(row)
            self._grade_results[key] = GradeResult(
                **grade.model_dump(), policy_version=self._version
            )
        return self._grade_results[key]

    def _evaluate(self, key: str, context: dict[str, Any], *, trace: bool) -> EvaluateResponse:
        try:
            # The engine's own evaluate: about ten times faster per call than a ZenDecision's.
            return self._engine.evaluate(key, context, {"trace": trace})
        except RuntimeError as error:
            raise PolicyEvaluationError(f"{key} table failed: {_first_line(error)}") from error

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


_OutputKey = tuple[tuple[str, str, Any], ...]


def _output_key(output: Mapping[str, Any]) -> _OutputKey:
    """A hashable key of a row's outputs; the type name keeps 1 and true apart."""
    key = tuple((field, type(value).__name__, value) for field, value in sorted(output.items()))
    try:
        hash(key)
    except TypeError:  # a list or object output: its JSON text stands in for it
        key = tuple((field, "json", json.dumps(value)) for field, value in sorted(output.items()))
    return key


def _rows_by_output(
    table: _CheckedTable,
) -> dict[_OutputKey, tuple[str, KnockOut]]:
    """Each row's outputs -> (its ``_id``, the validated knock-out), refusing look-alike rows."""
    by_output: dict[_OutputKey, tuple[str, KnockOut]] = {}
    for row_id, checked in table.rows:
        knockout = KnockOut.model_validate(checked.model_dump())
        key = _output_key(knockout.model_dump())
        if key in by_output:
            raise PolicyLoadError(
                f"{_KNOCKOUTS.file_name}: rows {by_output[key][0]!r} and {row_id!r} have the "
                "same outputs, so an audit could not tell which one matched"
            )
        by_output[key] = (row_id, knockout)
    return by_output


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


@dataclass(frozen=True)
class _CheckedTable:
    release: str
    rows: tuple[tuple[str, BaseModel], ...]
    """(``_id``, validated outputs) of every row, in table order."""
    nodes: tuple[str, ...]
    """Names of the graph's nodes in the order zen runs them."""


def _check_table(spec: _TableSpec, document: dict[str, Any]) -> _CheckedTable:
    """Check what the Python side relies on; return the release, the rows and the nodes."""
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
    rows = tuple(_check_row(spec, row, inputs, outputs) for row in content.get("rules", []))
    return _CheckedTable(release, rows, _node_order(name, document))


def _node_order(file_name: str, document: dict[str, Any]) -> tuple[str, ...]:
    """Node names from the input node along the edges: the order a trace lists them in."""
    nodes = {node["id"]: node for node in document.get("nodes", [])}
    following = {edge["sourceId"]: edge["targetId"] for edge in document.get("edges", [])}
    if len(following) != len(document.get("edges", [])):
        raise PolicyLoadError(f"{file_name}: the graph must be a single chain of nodes")
    starts = [node_id for node_id, node in nodes.items() if node.get("type") == "inputNode"]
    if len(starts) != 1:
        raise PolicyLoadError(f"{file_name}: expected exactly one inputNode")
    order = [starts[0]]
    while order[-1] in following and len(order) <= len(nodes):
        order.append(following[order[-1]])
    if len(order) != len(nodes) or len(set(order)) != len(order) or order[-1] not in nodes:
        raise PolicyLoadError(f"{file_name}: the graph must be a single chain of nodes")
    return tuple(str(nodes[node_id]["name"]) for node_id in order)


def _check_row(
    spec: _TableSpec, row: dict[str, str], inputs: dict[str, Any], outputs: dict[str, str]
) -> tuple[str, BaseModel]:
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
    return str(row["_id"]), checked


def _validate_graph(spec: _TableSpec, document: dict[str, Any]) -> None:
    try:
        zen.ZenEngine().create_decision(json.dumps(document)).validate()
    except RuntimeError as error:
        raise PolicyLoadError(
            f"{spec.file_name}: zen rejected the graph: {_first_line(error)}"
        ) from error


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
