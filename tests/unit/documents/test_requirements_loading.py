"""A bank's table of required documents, read from JSON, and what it is checked for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.documents.fields import PageKind
from services.documents.requirements import (
    DEFAULT_REQUIREMENTS,
    load_requirements,
    missing_documents,
)

TABLE: dict[str, list[str]] = {
    "Car": ["income", "identity"],
    "Home": ["income", "identity", "banking", "address"],
    "Gold": ["identity", "income"],
    "Education": ["identity"],
    "Personal": ["income", "identity", "banking"],
    "Medical": ["identity"],
    "Home Improvement": ["banking"],
}


def write(directory: Path, content: Any) -> Path:
    path = directory / "requirements.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_no_file_means_the_built_in_table() -> None:
    assert load_requirements(None) is DEFAULT_REQUIREMENTS
    assert set(DEFAULT_REQUIREMENTS) == set(LoanProduct)


def test_a_complete_table_loads_with_products_as_keys(tmp_path: Path) -> None:
    table = load_requirements(write(tmp_path, TABLE))

    assert table == {LoanProduct(product): tuple(needs) for product, needs in TABLE.items()}
    assert all(isinstance(product, LoanProduct) for product in table)
    assert table[LoanProduct.GOLD] == ("identity", "income")


def test_the_loaded_table_decides_what_is_missing(tmp_path: Path) -> None:
    table = load_requirements(write(tmp_path, TABLE))
    card = [PageKind.GOVERNMENT_ID]

    # The built-in table asks only for identity on a gold loan; this bank also wants income.
    assert missing_documents(LoanProduct.GOLD, EmploymentStatus.EMPLOYED, card) == ()
    assert missing_documents(LoanProduct.GOLD, EmploymentStatus.EMPLOYED, card, table) == (
        DocumentKind.W2,
    )
    assert missing_documents(LoanProduct.MEDICAL, EmploymentStatus.EMPLOYED, card, table) == ()


def test_an_unknown_product_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE | {"Boat": ["income"]})

    with pytest.raises(ValueError, match=r"requirements\.json: unknown product 'Boat'"):
        load_requirements(path)


def test_an_unknown_need_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE | {"Car": ["income", "collateral"]})

    with pytest.raises(ValueError, match=r"requirements\.json: Car: needs are a list of") as caught:
        load_requirements(path)
    assert "'address', 'banking', 'identity', 'income'" in str(caught.value)


def test_needs_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE | {"Car": "income"})

    with pytest.raises(ValueError, match=r"Car: needs are a list of"):
        load_requirements(path)


def test_a_product_left_out_is_refused(tmp_path: Path) -> None:
    partial = {product: needs for product, needs in TABLE.items() if product != "Medical"}

    with pytest.raises(ValueError, match=r"no requirements for \['Medical'\]"):
        load_requirements(write(tmp_path, partial))


@pytest.mark.parametrize("content", [["income", "identity"], "income", 42, None])
def test_a_file_that_is_not_an_object_is_refused(tmp_path: Path, content: Any) -> None:
    with pytest.raises(ValueError, match=r"requirements\.json: expected an object"):
        load_requirements(write(tmp_path, content))


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.json"
    path.write_text("{Car: income}", encoding="utf-8")

    with pytest.raises(ValueError):
        load_requirements(path)


def test_a_need_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE | {"Car": [["income"], {"identity": True}]})

    with pytest.raises(ValueError, match=r"Car: needs are a list of"):
        load_requirements(path)
