"""Helpers over single JSON Schema keywords, shared by the compatibility checker."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

Schema = Mapping[str, Any]

ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def value_key(value: object) -> str:
    # JSON text, because in Python True == 1 and 1 == 1.0 would hide a changed enum value.
    return json.dumps(value, sort_keys=True)


def type_accepted(json_type: str, accepted: set[str]) -> bool:
    return json_type in accepted or (json_type == "integer" and "number" in accepted)


def types_of(node: Schema) -> set[str] | None:
    """Types a node admits, or None when it does not restrict the type."""
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    values = allowed_values(node)
    if values is not None:
        return {json_type(value) for value in values}
    return None


def allowed_values(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if "enum" in node:
        return list(node["enum"])
    return None


def as_number(value: object) -> Decimal | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return None


def lower_bound(node: Schema) -> tuple[Decimal, bool] | None:
    """The effective lower bound as (value, exclusive); the higher one wins, then exclusive."""
    candidates = [
        (number, exclusive)
        for key, exclusive in (("minimum", False), ("exclusiveMinimum", True))
        if (number := as_number(node.get(key))) is not None
    ]
    return max(candidates) if candidates else None


def upper_bound(node: Schema) -> tuple[Decimal, bool] | None:
    """The effective upper bound as (value, exclusive); the lower one wins, then exclusive."""
    candidates = [
        (number, exclusive)
        for key, exclusive in (("maximum", False), ("exclusiveMaximum", True))
        if (number := as_number(node.get(key))) is not None
    ]
    return min(candidates, key=lambda bound: (bound[0], not bound[1])) if candidates else None


def describe(node: Schema) -> str:
    types = types_of(node)
    if types is None:
        return "a value of any type"
    return "/".join(sorted(types))


def merge(base: Schema, extra: Schema) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and key in merged:
            merged[key] = {**merged[key], **value}
        elif key == "required" and key in merged:
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged


def matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        # An ECMA-262 construct Python cannot compile: do not claim the value still fits.
        return False


def show_bound(bound: tuple[Decimal, bool] | None) -> str:
    if bound is None:
        return "none"
    return f"{bound[0]} ({'exclusive' if bound[1] else 'inclusive'})"


def tightened_counts(
    old: Schema, new: Schema, path: str, low_key: str, high_key: str, what: str
) -> list[str]:
    problems: list[str] = []
    if new.get(low_key, 0) > old.get(low_key, 0):
        problems.append(
            f"{path}: minimum {what} raised from {old.get(low_key, 0)} to {new[low_key]}"
        )
    if high_key in new and (high_key not in old or new[high_key] < old[high_key]):
        problems.append(
            f"{path}: maximum {what} lowered from {old.get(high_key, 'unlimited')} "
            f"to {new[high_key]}"
        )
    return problems
