"""Canonical field values: what every extractor's output is compared in."""

from __future__ import annotations

import pytest

from services.documents.fields import FIELDS, PageKind, normalise


@pytest.mark.parametrize(
    ("field_type", "raw", "expected"),
    [
        ("money", "$48,250.00", "48250.00"),
        ("money", "48250", "48250.00"),
        ("money", "1,234.567", "1234.57"),
        ("money", "(12.50)", "-12.50"),
        ("money", "-7.1", "-7.10"),
        ("money", "n/a", None),
        ("money", "1.2.3", None),
        ("date", "03/31/2024", "2024-03-31"),
        ("date", "2024-3-1", "2024-03-01"),
        ("date", "Mar 31, 2024", "2024-03-31"),
        ("date", "31 March 2024", "2024-03-31"),
        ("date", "02/30/2024", None),
        ("date", "sometime", None),
        ("year", "Tax year 2023", "2023"),
        ("year", "23", None),
        ("last4", "XXX-XX-6789", "6789"),
        ("last4", "12", None),
        ("text", "  Dana   Reyes ", "Dana Reyes"),
        ("text", "   ", None),
    ],
)
def test_values_take_one_canonical_form(field_type: str, raw: str, expected: str | None) -> None:
    assert normalise(field_type, raw) == expected  # type: ignore[arg-type]


def test_every_kind_has_a_field_list_and_only_known_types() -> None:
    assert set(FIELDS) == set(PageKind)
    types = {field_type for fields in FIELDS.values() for field_type in fields.values()}
    assert types <= {"money", "date", "year", "last4", "text"}
