"""``POST /v1/applications`` takes JSON (or an undeclared body), never a form, text or XML."""

from __future__ import annotations

import pytest

from services.ingest.http.routes import _json_or_unspecified


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/problem+json",
        " application/json ;charset=UTF-8",
    ],
)
def test_json_or_no_declaration_is_accepted(content_type: str | None) -> None:
    assert _json_or_unspecified(content_type)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonp",
        "application/json-seq",
        "json",
    ],
)
def test_anything_else_is_refused(content_type: str) -> None:
    assert not _json_or_unspecified(content_type)
