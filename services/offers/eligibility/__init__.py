"""Which products an applicant may be offered, and on which terms.

Two sources, both data: the catalogue's numeric cut-offs (minimum credit score, age at
maturity, term and amount ranges) and ``eligibility.json``, a GoRules decision table evaluated
with zen-engine for the rules about who a product is for (students are not offered home loans;
home improvement is for people who own their home). The table reads only the product, the
employment status and the home ownership, so its answers are cached per combination: the
engine runs at most once for each.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.common.catalogue import Catalogue, ProductTerms
from services.common.contracts.primitives import (
    EmploymentStatus,
    HomeOwnership,
    LoanProduct,
    ReasonCodeValue,
)
from services.common.contracts.stages import PolicyRuleId
from services.common.decision_tables import (
    DecisionTables,
    TableEvaluationError,
    TableSpec,
    output_key,
    rows_by_output,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EligibilityFacts(_Model):
    """What the eligibility table reads; nothing that identifies the applicant."""

    product: LoanProduct
    employment_status: EmploymentStatus
    home_ownership: HomeOwnership


class Block(_Model):
    """Why a product cannot be offered to this applicant."""

    rule_id: PolicyRuleId
    reason_code: ReasonCodeValue
    description: str = Field(min_length=1, max_length=200)


_TABLE = TableSpec(
    key="eligibility",
    settings={"hitPolicy": "collect", "outputPath": "blocked"},
    readable_fields=frozenset(EligibilityFacts.model_fields),
    row_model=Block,
)


def default_tables_dir() -> Traversable:
    return files("services.offers.eligibility")


class ProductRules:
    """The catalogue's cut-offs and the eligibility table, asked per product."""

    def __init__(self, catalogue: Catalogue, tables_dir: Traversable | None = None) -> None:
        self.catalogue = catalogue
        self._tables = DecisionTables(tables_dir or default_tables_dir(), (_TABLE,))
        self._rows = rows_by_output(_TABLE, self._tables.tables[_TABLE.key])
        self._cache: dict[EligibilityFacts, tuple[Block, ...]] = {}

    @property
    def version(self) -> str:
        return self._tables.version

    def blocks(
        self,
        product: LoanProduct,
        *,
        employment_status: EmploymentStatus,
        home_ownership: HomeOwnership,
        credit_score: int | None,
    ) -> tuple[Block, ...]:
        """Every reason ``product`` is not for this applicant; empty when it is."""
        facts = EligibilityFacts(
            product=product, employment_status=employment_status, home_ownership=home_ownership
        )
        found = self._cache.get(facts)
        if found is None:
            found = self._evaluate(facts)
            self._cache[facts] = found
        terms = self.catalogue[product]
        if credit_score is not None and credit_score < terms.min_credit_score:
            found = (
                *found,
                Block(
                    rule_id="EL-SCORE",
                    reason_code="SCORE_BELOW_PRODUCT_MINIMUM",
                    description=(
                        f"Credit score is below the minimum of {terms.min_credit_score} for "
                        f"{terms.product.value} loans."
                    ),
                ),
            )
        return found

    def terms_for(self, product: LoanProduct, age: int) -> tuple[int, int] | None:
        """The months ``product`` may run for someone of ``age``: its range, cut so the last
        instalment falls due by the catalogue's age at maturity; None when nothing is left."""
        terms: ProductTerms = self.catalogue[product]
        low, high = terms.term_months
        high = min(high, (terms.max_age_at_maturity - age) * 12)
        return (low, high) if high >= low else None

    def _evaluate(self, facts: EligibilityFacts) -> tuple[Block, ...]:
        response = self._tables.evaluate(_TABLE.key, facts.model_dump(mode="json"), trace=False)
        result: dict[str, Any] = response["result"]
        if "blocked" not in result:
            # A missing list must not read as "nothing blocks": that would offer everything.
            raise TableEvaluationError(f"eligibility returned no list: {result}")
        blocks = []
        for output in result["blocked"]:
            key = output_key(output)
            if key not in self._rows:
                raise TableEvaluationError(f"eligibility output matches no table row: {output}")
            row = self._rows[key][1]
            assert isinstance(row, Block)
            blocks.append(row)
        return tuple(blocks)
