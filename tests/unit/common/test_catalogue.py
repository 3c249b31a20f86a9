"""The product catalogue: loaded and checked, fails closed, and agrees with the credit policy."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.common.catalogue import (
    CatalogueError,
    FeeRule,
    default_catalogue_path,
    load_catalogue,
)
from services.common.contracts.primitives import LoanProduct
from services.common.contracts.stages import RiskGrade
from services.documents.requirements import DEFAULT_REQUIREMENTS
from services.ingest.validation import PRODUCT_TERMS

KNOCKOUTS = Path(__file__).parents[3] / "services/scoring/policy/tables/knockouts.json"


def shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
    return loaded


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "products.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_shipped_catalogue_covers_every_product_with_a_hashed_version() -> None:
    catalogue = load_catalogue()
    assert {terms.product for terms in catalogue.products} == set(LoanProduct)
    assert re.fullmatch(r"2026\.11\.1\+[0-9a-f]{12}", catalogue.version)
    car = catalogue[LoanProduct.CAR]
    assert car.term_months == (6, 84) and car.allows_term(84) and not car.allows_term(85)
    assert catalogue.premium(car, RiskGrade.C) == 1.75
    gold = catalogue[LoanProduct.GOLD]
    assert catalogue.premium(gold, RiskGrade.C) == 4.5  # its own premiums


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["products"].pop(), "no terms for ['Home Improvement']"),
        (lambda d: d["products"][0].update(term_years=[7, 0.5]), "term_years range is backwards"),
        (lambda d: d["products"][0].update(base_rate_percent=5.0), "outside rate_percent"),
        (lambda d: d["products"][0].update(grade_premiums_percent={"A": 0}), "every grade"),
        (lambda d: d["products"][0].update(colour="red"), "Extra inputs are not permitted"),
        (lambda d: d["products"].append(d["products"][0]), "listed twice"),
    ],
)
def test_a_broken_catalogue_is_refused_naming_the_problem(
    tmp_path: Path, edit: Any, message: str
) -> None:
    document = shipped()
    edit(document)
    with pytest.raises(CatalogueError, match=re.escape(message)):
        load_catalogue(write(tmp_path, document))


def test_an_origination_fee_is_a_bounded_percentage_to_the_cent() -> None:
    rule = FeeRule(percent=1.0, minimum=75, maximum=750)
    assert rule.fee(Decimal("12345.67")) == Decimal("123.46")
    assert rule.fee(Decimal("1000")) == Decimal("75.00")
    assert rule.fee(Decimal("500000")) == Decimal("750.00")
    assert FeeRule(percent=0, minimum=0, maximum=0).fee(Decimal("9999")) == Decimal("0.00")


def test_ingest_and_the_documents_stage_read_their_product_rules_from_it() -> None:
    catalogue = load_catalogue()
    for terms in catalogue.products:
        term_range = PRODUCT_TERMS[terms.product]
        assert (term_range.min_years, term_range.max_years) == terms.term_years
        assert DEFAULT_REQUIREMENTS[terms.product] == terms.required_evidence


def _rows() -> list[dict[str, str]]:
    document = json.loads(KNOCKOUTS.read_text(encoding="utf-8"))
    [table] = [node for node in document["nodes"] if node["type"] == "decisionTableNode"]
    rows: list[dict[str, str]] = table["content"]["rules"]
    return rows


def _products(cell: str) -> set[str]:
    return set(re.findall(r'"([^"]+)"', cell))


def _number(cell: str) -> float:
    return float(re.sub(r"[^0-9.]", "", cell))


def test_the_credit_policy_cut_offs_agree_with_the_catalogue() -> None:
    catalogue = load_catalogue()
    rows = _rows()
    for terms in catalogue.products:
        name = terms.product.value
        score = [
            r for r in rows if r["_id"].startswith("KO-02.") and name in _products(r["in-product"])
        ]
        dti = [
            r for r in rows if r["_id"].startswith("KO-03.") and name in _products(r["in-product"])
        ]
        term = [
            r for r in rows if r["_id"].startswith("KO-08.") and name in _products(r["in-product"])
        ]
        assert [_number(r["in-credit_score"]) for r in score] == [terms.min_credit_score], name
        assert [_number(r["in-debt_to_income_ratio"]) for r in dti] == [terms.max_dti_percent], name
        [bounds] = [r["in-term_years"] for r in term]
        low, high = (float(x) for x in re.findall(r"[0-9.]+", bounds))
        assert (low, high) == terms.term_years, name
    [maturity] = [r for r in rows if r["_id"] == "KO-07"]
    assert {t.max_age_at_maturity for t in catalogue.products} == {
        _number(maturity["in-age_at_maturity"])
    }
