"""Fraud rules and outcome as GoRules JDM decision tables evaluated with zen-engine.

``rules.json`` (hit policy "collect") reads the screening facts and lists every rule that fires,
each with a reason code, a weight and a description. The fraud score is the sum of the weights,
capped at 1. ``outcome.json`` (hit policy "first") turns the score and the watch-list band into
PASS, REVIEW or REJECT: a risk team retunes weights and cut-offs in the tables, not in code.

The facts that carry signal codes are lists (``contains($, "VELOCITY_DEVICE_1H")`` in a cell),
and a misspelt code would never match. Loading therefore refuses a table that tests for a code
no check can produce.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from services.common.contracts.primitives import ReasonCodeValue
from services.common.contracts.stages import PolicyRuleId
from services.common.decision_tables import (
    DecisionTableError,
    DecisionTables,
    TableEvaluationError,
    TableSpec,
    output_key,
    rows_by_output,
)

SCORE_DECIMALS: Final = 4
_QUOTED_CODE = re.compile(r'"([A-Za-z0-9_:]+)"')


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a credential
    REVIEW = "review"
    REJECT = "reject"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FraudFacts(_Model):
    """What the rules read. Lists hold signal codes; nothing here identifies the applicant."""

    watchlist_band: Literal["none", "review", "hit"]
    velocity: tuple[str, ...] = ()
    identity: tuple[str, ...] = Field(
        default=(),
        description='Identity signals as "CODE:severity", e.g. "EMAIL_DISPOSABLE:medium".',
    )
    mismatches: tuple[str, ...] = Field(
        default=(),
        description='Bureau mismatches as "field:severity", when scoring ran before fraud.',
    )


class FraudRule(_Model):
    rule_id: PolicyRuleId
    reason_code: ReasonCodeValue
    weight: float = Field(ge=0, le=1)
    description: str = Field(min_length=1, max_length=200)


class _OutcomeRow(_Model):
    rule_id: PolicyRuleId
    outcome: Outcome


class FraudAssessment(_Model):
    fired: tuple[FraudRule, ...]
    score: float = Field(ge=0, le=1)
    outcome: Outcome
    outcome_rule_id: PolicyRuleId
    policy_version: str


_RULES = TableSpec(
    key="rules",
    settings={"hitPolicy": "collect", "outputPath": "fired"},
    readable_fields=frozenset(FraudFacts.model_fields),
    row_model=FraudRule,
)
_OUTCOME = TableSpec(
    key="outcome",
    settings={"hitPolicy": "first"},
    readable_fields=frozenset({"score", "watchlist_band"}),
    row_model=_OutcomeRow,
)


def default_tables_dir() -> Traversable:
    return files("services.fraud.policy") / "tables"


class FraudPolicy:
    def __init__(
        self,
        known_codes: Mapping[str, frozenset[str]],
        tables_dir: Traversable | None = None,
    ) -> None:
        """``known_codes``: for each list fact, every code the checks can put in it."""
        directory = tables_dir if tables_dir is not None else default_tables_dir()
        self._tables = DecisionTables(directory, (_RULES, _OUTCOME))
        self._rules = rows_by_output(_RULES, self._tables.tables[_RULES.key])
        _check_codes(directory.joinpath(_RULES.file_name), known_codes)
        self._outcomes: dict[Any, _OutcomeRow] = {}

    @property
    def version(self) -> str:
        return self._tables.version

    def assess(self, facts: FraudFacts) -> FraudAssessment:
        response = self._tables.evaluate(_RULES.key, facts.model_dump(mode="json"), trace=False)
        if "fired" not in response["result"]:
            # A missing list must not read as "nothing fired": that would pass everyone.
            raise TableEvaluationError(f"fraud rules returned no list: {response['result']}")
        fired = []
        for output in response["result"]["fired"]:
            key = output_key(output)
            if key not in self._rules:
                raise TableEvaluationError(f"fraud rule output matches no table row: {output}")
            fired.append(cast(FraudRule, self._rules[key][1]))
        score = round(min(1.0, sum(rule.weight for rule in fired)), SCORE_DECIMALS)
        context = {"score": score, "watchlist_band": facts.watchlist_band}
        row = self._tables.evaluate(_OUTCOME.key, context, trace=False)["result"]
        if not row:
            raise TableEvaluationError(f"no outcome row matched {context}")
        outcome = self._outcome(row)
        return FraudAssessment(
            fired=tuple(sorted(fired, key=lambda rule: -rule.weight)),
            score=score,
            outcome=outcome.outcome,
            outcome_rule_id=outcome.rule_id,
            policy_version=self.version,
        )

    def _outcome(self, row: Mapping[str, Any]) -> _OutcomeRow:
        key = output_key(row)
        if key not in self._outcomes:
            self._outcomes[key] = _OutcomeRow.model_validate(row)
        return self._outcomes[key]


def _check_codes(table: Traversable, known_codes: Mapping[str, frozenset[str]]) -> None:
    """Refuse cells that test a list fact for a code no check produces."""
    document = json.loads(table.read_bytes())
    [node] = [n for n in document["nodes"] if n.get("type") == "decisionTableNode"]
    content = node["content"]
    columns = {column["id"]: column.get("field") for column in content.get("inputs", [])}
    for row in content.get("rules", []):
        for column_id, field in columns.items():
            if field not in known_codes:
                continue
            for code in _QUOTED_CODE.findall(row.get(column_id, "")):
                if code not in known_codes[field]:
                    raise DecisionTableError(
                        f"{_RULES.file_name}: row {row.get('_id')!r} tests {field} for "
                        f"{code!r}, which no check produces"
                    )
