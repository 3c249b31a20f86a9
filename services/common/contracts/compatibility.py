"""Backward-compatibility check between two JSON Schemas of one topic.

"Backward compatible" means a consumer built against the new schema can still read every event
that was valid under the old one: the set of values the old schema accepts must be contained in
the set the new one accepts. Proving containment in general is undecidable in practice, so this
covers the keywords pydantic emits (types, unions, enums, const, numeric and string constraints,
arrays, closed objects, ``$ref`` into ``$defs``) and reports anything it cannot prove, such as a
changed ``pattern``, as breaking.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.common.contracts.schema_keywords import (
    ANNOTATIONS,
    Schema,
    allowed_values,
    as_number,
    describe,
    json_type,
    lower_bound,
    matches,
    merge,
    show_bound,
    tightened_counts,
    type_accepted,
    types_of,
    upper_bound,
    value_key,
)

__all__ = ["check_backward_compatible"]


def check_backward_compatible(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Human-readable breaking changes from ``old_schema`` to ``new_schema``; empty if none."""
    problems = _Comparer(old_schema, new_schema).compare(old_schema, new_schema, "$")
    return list(dict.fromkeys(problems))


class _Comparer:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self._old_root = old_root
        self._new_root = new_root
        self._active: set[tuple[str, str]] = set()

    # -- reference handling --------------------------------------------------------------

    @staticmethod
    def _pointer(root: Schema, ref: str) -> Schema:
        if not ref.startswith("#"):
            raise LookupError(f"external reference {ref!r} cannot be followed")
        node: Any = root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise LookupError(f"reference {ref!r} does not resolve")
            node = node[part]
        if not isinstance(node, Mapping):
            raise LookupError(f"reference {ref!r} is not a schema object")
        return node

    def _resolve(self, node: Schema, root: Schema) -> tuple[dict[str, Any], str]:
        """Follow ``$ref`` chains and flatten ``allOf``; returns the node and the ref path."""
        refs: list[str] = []
        current = dict(node)
        while "$ref" in current and len(refs) < 50:
            ref = current.pop("$ref")
            refs.append(ref)
            # Keywords next to a $ref apply together with the target (2020-12 semantics).
            current = merge(self._pointer(root, ref), current)
        if "allOf" in current:
            parts = current.pop("allOf")
            for part in parts:
                resolved, ref = self._resolve(part, root) if isinstance(part, Mapping) else ({}, "")
                refs.append(ref)
                current = merge(resolved, current)
        return current, "|".join(refs)

    # -- comparison ----------------------------------------------------------------------

    def compare(self, old: Schema | bool, new: Schema | bool, path: str) -> list[str]:
        if new is True or old is False:
            return []
        if new is False:
            return [f"{path}: no value is accepted any more"]
        old_node = {} if old is True else old
        try:
            old_resolved, old_ref = self._resolve(old_node, self._old_root)
            new_resolved, new_ref = self._resolve(new, self._new_root)
        except LookupError as error:
            return [f"{path}: cannot compare ({error})"]
        if old_ref and new_ref:
            key = (old_ref, new_ref)
            if key in self._active:
                # Recursive definitions: assume the cycle is compatible; the rest is checked.
                return []
            self._active.add(key)
            try:
                return self._compare_resolved(old_resolved, new_resolved, path)
            finally:
                self._active.discard(key)
        return self._compare_resolved(old_resolved, new_resolved, path)

    def _branches(self, node: dict[str, Any], root: Schema) -> list[dict[str, Any]] | None:
        union = node.get("anyOf", node.get("oneOf"))
        if not isinstance(union, list):
            return None
        return [self._resolve(branch, root)[0] for branch in union if isinstance(branch, Mapping)]

    def _compare_resolved(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
        old_branches = self._branches(old, self._old_root)
        new_branches = self._branches(new, self._new_root)
        if old_branches is None and (new_branches is None or allowed_values(old) is not None):
            # A finite old set is checked value by value, each against the whole new union.
            return self._compare_single(old, new, path)
        problems: list[str] = []
        for old_branch in old_branches if old_branches is not None else [old]:
            candidates = [
                new_branch
                for new_branch in (new_branches if new_branches is not None else [new])
                if self._may_overlap(old_branch, new_branch)
            ]
            if not candidates:
                problems.append(f"{path}: {describe(old_branch)} is no longer accepted")
                continue
            # The old branch is fine if any new branch takes it; otherwise show the closest.
            outcomes = [self.compare(old_branch, candidate, path) for candidate in candidates]
            closest: list[str] = min(outcomes, key=len)
            problems.extend(closest)
        return problems

    @staticmethod
    def _may_overlap(old: Schema, new: Schema) -> bool:
        old_types, new_types = types_of(old), types_of(new)
        if old_types is None or new_types is None:
            return True
        # Integers are numbers, so number and integer overlap in both directions.
        widened_new = new_types | ({"integer"} if "number" in new_types else set())
        widened_old = old_types | ({"integer"} if "number" in old_types else set())
        return bool(widened_old & widened_new)

    def _compare_single(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
        new_keys = {key for key in new if key not in ANNOTATIONS}
        if not new_keys:
            return []
        old_values = allowed_values(old)
        if old_values is not None:
            # A finite old set: check each value instead of comparing constraints.
            return [
                f"{path}: value {value!r} is no longer accepted ({reason})"
                for value in old_values
                for reason in self._value_violations(value, new)[:1]
            ]
        problems = self._compare_types(old, new, path)
        if problems and types_of(old) is not None and not self._may_overlap(old, new):
            return problems
        new_values = allowed_values(new)
        if new_values is not None:
            shown = ", ".join(value_key(value) for value in new_values)
            problems.append(f"{path}: now restricted to the values {shown}")
        problems += self._compare_numbers(old, new, path)
        problems += self._compare_strings(old, new, path)
        problems += self._compare_arrays(old, new, path)
        problems += self._compare_objects(old, new, path)
        return problems

    @staticmethod
    def _compare_types(old: Schema, new: Schema, path: str) -> list[str]:
        old_types, new_types = types_of(old), types_of(new)
        if new_types is None:
            return []
        if old_types is None:
            return [f"{path}: type now restricted to {'/'.join(sorted(new_types))}"]
        lost = sorted(t for t in old_types if not type_accepted(t, new_types))
        if not lost:
            return []
        return [
            f"{path}: type {'/'.join(lost)} is no longer accepted "
            f"(was {'/'.join(sorted(old_types))}, now {'/'.join(sorted(new_types))})"
        ]

    @staticmethod
    def _compare_numbers(old: Schema, new: Schema, path: str) -> list[str]:
        problems: list[str] = []
        old_low, new_low = lower_bound(old), lower_bound(new)
        if new_low is not None and (
            old_low is None
            or new_low[0] > old_low[0]
            or (new_low[0] == old_low[0] and new_low[1] and not old_low[1])
        ):
            problems.append(
                f"{path}: lower bound raised from {show_bound(old_low)} to {show_bound(new_low)}"
            )
        old_high, new_high = upper_bound(old), upper_bound(new)
        if new_high is not None and (
            old_high is None
            or new_high[0] < old_high[0]
            or (new_high[0] == old_high[0] and new_high[1] and not old_high[1])
        ):
            problems.append(
                f"{path}: upper bound lowered from {show_bound(old_high)} to {show_bound(new_high)}"
            )
        new_step, old_step = new.get("multipleOf"), old.get("multipleOf")
        if new_step is not None and (
            old_step is None or (Decimal(str(old_step)) / Decimal(str(new_step))) % 1 != 0
        ):
            problems.append(f"{path}: multipleOf changed from {old_step} to {new_step}")
        return problems

    @staticmethod
    def _compare_strings(old: Schema, new: Schema, path: str) -> list[str]:
        problems = tightened_counts(old, new, path, "minLength", "maxLength", "length")
        if "pattern" in new and new["pattern"] != old.get("pattern"):
            problems.append(
                f"{path}: pattern changed from {old.get('pattern')!r} to {new['pattern']!r}"
            )
        if "format" in new and new["format"] != old.get("format"):
            problems.append(
                f"{path}: format changed from {old.get('format')!r} to {new['format']!r}"
            )
        return problems

    def _compare_arrays(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = tightened_counts(old, new, path, "minItems", "maxItems", "item count")
        if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
            problems.append(f"{path}: items must now be unique")
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        old_rest, new_rest = old.get("items", True), new.get("items", True)
        for index in range(max(len(old_prefix), len(new_prefix))):
            old_item = old_prefix[index] if index < len(old_prefix) else old_rest
            new_item = new_prefix[index] if index < len(new_prefix) else new_rest
            problems += self.compare(old_item, new_item, f"{path}[{index}]")
        if "items" in new or "items" in old:
            problems += self.compare(old_rest, new_rest, f"{path}[]")
        return problems

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = tightened_counts(old, new, path, "minProperties", "maxProperties", "size")
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        for name, old_prop in old_props.items():
            if name in new_props:
                problems += self.compare(old_prop, new_props[name], f"{path}.{name}")
            elif new_extra is False:
                problems.append(f"{path}.{name}: property removed")
            else:
                problems += self.compare(old_prop, new_extra, f"{path}.{name}")
        if old_extra is not False:
            for name, new_prop in new_props.items():
                if name not in old_props:
                    problems += self.compare(old_extra, new_prop, f"{path}.{name}")
            if new_extra is False:
                problems.append(f"{path}: properties not listed are no longer allowed")
            else:
                problems += self.compare(old_extra, new_extra, f"{path}.*")
        old_required = set(old.get("required", []))
        for name in new.get("required", []):
            if name in old_required:
                continue
            if name in old_props:
                problems.append(f"{path}.{name}: property became required")
            else:
                problems.append(f"{path}.{name}: new required property")
        return problems

    def _value_violations(self, value: Any, new: Schema) -> list[str]:
        """Why ``new`` would reject ``value``; only keywords that apply to scalars."""
        reasons: list[str] = []
        types = types_of(new)
        if types is not None and not type_accepted(json_type(value), types):
            reasons.append(f"type {json_type(value)} not allowed")
        new_values = allowed_values(new)
        if new_values is not None and value_key(value) not in {value_key(v) for v in new_values}:
            reasons.append("removed from the allowed values")
        branches = self._branches(dict(new), self._new_root)
        if branches is not None and all(self._value_violations(value, b) for b in branches):
            reasons.append("matches no alternative")
        number = as_number(value)
        if number is not None:
            low, high = lower_bound(new), upper_bound(new)
            if low is not None and (number < low[0] or (low[1] and number == low[0])):
                reasons.append(f"below the lower bound {show_bound(low)}")
            if high is not None and (number > high[0] or (high[1] and number == high[0])):
                reasons.append(f"above the upper bound {show_bound(high)}")
        if isinstance(value, str):
            if len(value) < new.get("minLength", 0):
                reasons.append("shorter than minLength")
            if "maxLength" in new and len(value) > new["maxLength"]:
                reasons.append("longer than maxLength")
            if "pattern" in new and not matches(new["pattern"], value):
                reasons.append("does not match the pattern")
        return reasons
