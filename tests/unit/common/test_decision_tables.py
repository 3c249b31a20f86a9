"""The shared decision-table loader on a small table of its own (the credit policy's tests
cover the load errors on real tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from services.common.decision_tables import (
    DecisionTableError,
    DecisionTables,
    TableSpec,
    output_key,
    rows_by_output,
)


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    weight: float


SPEC = TableSpec(
    key="weights",
    settings={"hitPolicy": "collect", "outputPath": "fired"},
    readable_fields=frozenset({"count"}),
    row_model=_Row,
)


def table(rules: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "metadata": {"version": "1.0.0"},
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Facts"},
            {
                "id": "t",
                "type": "decisionTableNode",
                "name": "Weights",
                "content": {
                    "hitPolicy": "collect",
                    "outputPath": "fired",
                    "inputs": [{"id": "c", "field": "count"}],
                    "outputs": [
                        {"id": "r", "field": "rule_id"},
                        {"id": "w", "field": "weight"},
                    ],
                    "rules": rules,
                },
            },
            {"id": "out", "type": "outputNode", "name": "Result"},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "t", "type": "edge"},
            {"id": "e2", "sourceId": "t", "targetId": "out", "type": "edge"},
        ],
    }


def write(tmp_path: Path, rules: list[dict[str, str]]) -> Path:
    (tmp_path / "weights.json").write_text(json.dumps(table(rules)))
    return tmp_path


RULES = [
    {"_id": "W-1", "c": "> 3", "r": '"W-1"', "w": "1"},
    {"_id": "W-2", "c": "> 10", "r": '"W-2"', "w": "0.5"},
]


def test_results_name_their_rows_from_the_outputs_as_zen_yields_them(tmp_path: Path) -> None:
    tables = DecisionTables(write(tmp_path, RULES), [SPEC])
    by_output = rows_by_output(SPEC, tables.tables["weights"])
    fired = tables.evaluate("weights", {"count": 11}, trace=False)["result"]["fired"]
    # A whole-number weight comes back from zen as an int: the key still finds its row.
    assert [by_output[output_key(row)][0] for row in fired] == ["W-1", "W-2"]
    assert tables.version.startswith("1.0.0+")
    assert tables.tables["weights"].nodes == ("Facts", "Weights", "Result")


def test_numbers_compare_by_value_and_booleans_stay_apart() -> None:
    assert output_key({"a": 1}) != output_key({"a": True})
    assert output_key({"a": 1}) == output_key({"a": 1.0})
    assert output_key({"a": [1, 2]}) == output_key({"a": [1, 2]})  # unhashable values work


def test_rows_with_the_same_outputs_are_refused(tmp_path: Path) -> None:
    twins = [*RULES, {"_id": "W-1.b", "c": "> 5", "r": '"W-1"', "w": "1"}]
    tables = DecisionTables(write(tmp_path, twins), [SPEC])
    with pytest.raises(DecisionTableError, match="same outputs"):
        rows_by_output(SPEC, tables.tables["weights"])


def test_a_cell_that_does_not_parse_fails_loading(tmp_path: Path) -> None:
    broken = [{"_id": "W-1", "c": "> > 3", "r": '"W-1"', "w": "1"}]
    with pytest.raises(DecisionTableError, match="bad condition"):
        DecisionTables(write(tmp_path, broken), [SPEC])
