"""The backward-compatibility checker, on schemas pydantic emits for old and new models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from services.common.contracts import EventModel, Topics
from services.common.schema_export import check_backward_compatible, topic_schema


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def breaking(old: type[BaseModel], new: type[BaseModel]) -> list[str]:
    return check_backward_compatible(schema(old), schema(new))


def assert_breaks(old: type[BaseModel], new: type[BaseModel], *fragments: str) -> list[str]:
    problems = breaking(old, new)
    assert problems, "expected a breaking change"
    text = "\n".join(problems)
    for fragment in fragments:
        assert fragment in text, text
    return problems


class Base(EventModel):
    name: str
    amount: float = Field(ge=0, le=100)
    note: str | None = None


# -- compatible changes ------------------------------------------------------------------


def test_identical_schemas_are_compatible() -> None:
    assert breaking(Base, Base) == []
    for spec in Topics.all():
        assert check_backward_compatible(topic_schema(spec), topic_schema(spec)) == []


def test_adding_an_optional_field_is_compatible() -> None:
    class New(EventModel):
        name: str
        amount: float = Field(ge=0, le=100)
        note: str | None = None
        extra: int | None = Field(default=None, ge=0)
        tags: tuple[str, ...] = ()

    assert breaking(Base, New) == []


@pytest.mark.parametrize(
    ("old_annotation", "new_annotation"),
    [
        (int, float),
        (str, str | None),
        (Literal["a", "b"], Literal["a", "b", "c"]),
        (Literal["a", "b"], str),
        (int, int | str),
    ],
)
def test_widening_a_type_is_compatible(old_annotation: Any, new_annotation: Any) -> None:
    class Old(EventModel):
        value: old_annotation

    class New(EventModel):
        value: new_annotation

    assert breaking(Old, New) == []


def test_loosening_constraints_and_dropping_required_is_compatible() -> None:
    class Old(EventModel):
        code: str = Field(min_length=2, max_length=5, pattern=r"^[A-Z]+$")
        score: int = Field(ge=300, le=850)
        items: tuple[int, ...] = Field(max_length=3)

    class New(EventModel):
        code: str = Field(min_length=1, max_length=10, pattern=r"^[A-Z]+$")
        score: int | None = Field(default=None, ge=0, le=900)
        items: tuple[int, ...] = Field(default=(), max_length=4)

    assert breaking(Old, New) == []


def test_renamed_definitions_are_followed_through_refs() -> None:
    class AddressV1(EventModel):
        city: str

    class AddressV2(EventModel):
        city: str
        postcode: str | None = None

    class Old(EventModel):
        address: AddressV1

    class New(EventModel):
        address: AddressV2

    assert breaking(Old, New) == []


def test_recursive_models_terminate() -> None:
    class NodeV1(EventModel):
        label: str
        children: tuple[NodeV1, ...] = ()

    class NodeV2(EventModel):
        label: str = Field(max_length=3)
        children: tuple[NodeV2, ...] = ()

    assert breaking(NodeV1, NodeV1) == []
    assert_breaks(NodeV1, NodeV2, "$.label", "maximum length lowered")


# -- breaking changes --------------------------------------------------------------------


def test_removing_a_property_breaks() -> None:
    class New(EventModel):
        name: str
        amount: float = Field(ge=0, le=100)

    assert_breaks(Base, New, "$.note: property removed")


def test_adding_a_required_property_breaks() -> None:
    class New(EventModel):
        name: str
        amount: float = Field(ge=0, le=100)
        note: str | None = None
        currency: str

    assert_breaks(Base, New, "$.currency: new required property")


def test_making_a_property_required_breaks() -> None:
    class New(EventModel):
        name: str
        amount: float = Field(ge=0, le=100)
        note: str | None

    assert_breaks(Base, New, "$.note: property became required")


@pytest.mark.parametrize(
    ("old_annotation", "new_annotation", "fragment"),
    [
        (str, int, "type string is no longer accepted"),
        (float, int, "type number is no longer accepted"),
        (str | None, str, "null is no longer accepted"),
        (int | str, int, "string is no longer accepted"),
        (Literal["a", "b", "c"], Literal["a", "b"], "value 'c' is no longer accepted"),
        (Literal["abc"], Literal["ab"], "value 'abc' is no longer accepted"),
        (str, Literal["a"], "now restricted to the values"),
        (dict[str, str], dict[str, int], "$.value.*"),
        (tuple[str, ...], tuple[int, ...], "$.value[]"),
    ],
)
def test_narrowing_a_type_breaks(old_annotation: Any, new_annotation: Any, fragment: str) -> None:
    class Old(EventModel):
        value: old_annotation

    class New(EventModel):
        value: new_annotation

    assert_breaks(Old, New, fragment)


def test_removing_an_enum_member_breaks() -> None:
    class ColourV1(StrEnum):
        RED = "red"
        BLUE = "blue"

    class ColourV2(StrEnum):
        RED = "red"

    class Old(EventModel):
        colour: ColourV1

    class New(EventModel):
        colour: ColourV2

    assert_breaks(Old, New, "$.colour: value 'blue' is no longer accepted")


@pytest.mark.parametrize(
    ("old_field", "new_field", "fragment"),
    [
        (Field(max_length=10), Field(max_length=5), "maximum length lowered from 10 to 5"),
        (Field(), Field(max_length=5), "maximum length lowered from unlimited to 5"),
        (Field(min_length=1), Field(min_length=2), "minimum length raised from 1 to 2"),
        (Field(), Field(pattern=r"^[a-z]+$"), "pattern changed from None"),
        (Field(pattern=r"^[a-z]+$"), Field(pattern=r"^[a-z]{2}$"), "pattern changed"),
    ],
)
def test_tightening_string_constraints_breaks(
    old_field: Any, new_field: Any, fragment: str
) -> None:
    class Old(EventModel):
        text: str = old_field

    class New(EventModel):
        text: str = new_field

    assert_breaks(Old, New, "$.text", fragment)


@pytest.mark.parametrize(
    ("old_field", "new_field", "fragment"),
    [
        (Field(le=100), Field(le=50), "upper bound lowered"),
        (Field(le=100), Field(lt=100), "upper bound lowered"),
        (Field(), Field(le=100), "upper bound lowered from none"),
        (Field(ge=0), Field(ge=1), "lower bound raised"),
        (Field(ge=0), Field(gt=0), "lower bound raised"),
        (Field(), Field(multiple_of=0.5), "multipleOf changed"),
        (Field(multiple_of=0.5), Field(multiple_of=1), "multipleOf changed"),
    ],
)
def test_tightening_numeric_constraints_breaks(
    old_field: Any, new_field: Any, fragment: str
) -> None:
    class Old(EventModel):
        rate: float = old_field

    class New(EventModel):
        rate: float = new_field

    assert_breaks(Old, New, "$.rate", fragment)


def test_tightening_array_length_breaks() -> None:
    class Old(EventModel):
        items: tuple[int, ...] = Field(max_length=4)

    class New(EventModel):
        items: tuple[int, ...] = Field(max_length=3)

    assert_breaks(Old, New, "$.items: maximum item count lowered from 4 to 3")


def test_changes_inside_nested_definitions_are_found() -> None:
    class ItemV1(EventModel):
        sku: str
        quantity: int = Field(ge=1)

    class ItemV2(EventModel):
        sku: str = Field(max_length=8)
        quantity: int = Field(ge=1)
        warehouse: str

    class AddressV1(EventModel):
        city: str
        zip_code: str | None = None

    class AddressV2(EventModel):
        city: str

    class Old(EventModel):
        address: AddressV1 | None = None
        items: tuple[ItemV1, ...] = ()

    class New(EventModel):
        address: AddressV2 | None = None
        items: tuple[ItemV2, ...] = ()

    problems = assert_breaks(
        Old,
        New,
        "$.address.zip_code: property removed",
        "$.items[].sku: maximum length lowered",
        "$.items[].warehouse: new required property",
    )
    assert len(problems) == 3


def test_replacing_a_nested_model_by_a_scalar_breaks() -> None:
    class Money(EventModel):
        amount: float

    class Old(EventModel):
        price: Money

    class New(EventModel):
        price: float

    assert_breaks(Old, New, "$.price", "object is no longer accepted")


def test_unresolvable_references_are_reported_not_ignored() -> None:
    old = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}
    new = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert any("cannot compare" in problem for problem in check_backward_compatible(old, new))


def test_closing_an_open_object_breaks() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {**old, "additionalProperties": False}
    assert check_backward_compatible(old, new) == ["$: properties not listed are no longer allowed"]


def test_enum_values_spread_over_a_new_union_are_compatible() -> None:
    class Old(EventModel):
        value: Literal["a", 1]

    class New(EventModel):
        value: str | int

    class Narrower(EventModel):
        value: str | None

    assert breaking(Old, New) == []
    assert_breaks(Old, Narrower, "value 1 is no longer accepted")
