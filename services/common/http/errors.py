"""Problem details (RFC 9457) for every HTTP service, and the handlers that produce them.

Every error body is ``application/problem+json`` with ``type``, ``title``, ``status`` and, when
there is something useful to say, ``detail``. A ``422`` adds ``errors``: one entry per offending
field with its dotted ``path`` (``applicant.income``; list items by index, ``documents.0.kind``),
the ``location`` it came from (``body``, ``query``, ``path``, ``header``, ``cookie``), the
``rule`` it broke (pydantic's error type, ``greater_than_equal``) and a ``message``.

Validation bodies never contain the input values: they may be personal data. Messages are
rebuilt from the error type and the rule's own parameters (``ge``, ``max_length``, ...), never
from the input. The one exception is the text of a custom validator's ``ValueError`` (rule
``value_error``), which is passed through: such messages must name the rule, not the value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic_core import PydanticKnownError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# Problem types. ``about:blank`` (the RFC's default) is used when the status says it all.
ABOUT_BLANK = "about:blank"
VALIDATION_ERROR = "urn:prescreen:problem:validation-error"
UNAUTHORIZED = "urn:prescreen:problem:unauthorized"
FORBIDDEN = "urn:prescreen:problem:insufficient-scope"
RATE_LIMITED = "urn:prescreen:problem:rate-limited"
SERVICE_UNAVAILABLE = "urn:prescreen:problem:service-unavailable"
IDEMPOTENCY_KEY_INVALID = "urn:prescreen:problem:idempotency-key-invalid"
IDEMPOTENCY_CONFLICT = "urn:prescreen:problem:idempotency-key-reused"
IDEMPOTENCY_IN_PROGRESS = "urn:prescreen:problem:idempotency-in-progress"

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

# Context values that describe the rule, never the input; everything else in ``ctx`` is dropped.
_SAFE_CONTEXT = frozenset(
    {
        "ge",
        "gt",
        "le",
        "lt",
        "multiple_of",
        "min_length",
        "max_length",
        "expected",
        "pattern",
        "max_digits",
        "decimal_places",
        "whole_digits",
        "expected_plural",
        "field_type",
        "allowed_schemes",
        "expected_length",
    }
)
_PASSED_THROUGH = frozenset({"value_error", "assertion_error"})


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending field of a request, safe to return and to log."""

    path: str
    location: str
    rule: str
    message: str


def problem_body(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str = ABOUT_BLANK,
    errors: Sequence[FieldError] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON object of a problem; ``title`` defaults to the status phrase."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = [asdict(error) for error in errors]
    if extensions:
        for name, value in extensions.items():
            body.setdefault(name, value)
    return body


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str = ABOUT_BLANK,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A ``application/problem+json`` response."""
    return JSONResponse(
        problem_body(
            status, title=title, detail=detail, type_=type_, errors=errors, extensions=extensions
        ),
        status_code=status,
        headers=dict(headers) if headers else None,
        media_type=PROBLEM_JSON,
    )


class ProblemError(StarletteHTTPException):
    """An ``HTTPException`` that knows its problem type and title.

    Raise it from routes and dependencies; ``install_error_handlers`` renders it as problem+json.
    Without those handlers FastAPI still answers with the status, ``detail`` and headers.
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type_: str = ABOUT_BLANK,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(status, detail, dict(headers) if headers else None)
        self.title = title or _phrase(status)
        self.type = type_
        self.extensions: Mapping[str, Any] = dict(extensions or {})


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """pydantic error dicts (``exc.errors()``) as ``FieldError``s without the input values.

    Works for ``RequestValidationError`` and for a plain ``pydantic.ValidationError`` (whose
    locations have no ``body``/``query`` prefix: they are reported as ``body``), so a Kafka
    intake can reuse it for its dead-letter reasons.
    """
    result: list[FieldError] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        location = "body"
        if loc and isinstance(loc[0], str) and loc[0] in _LOCATIONS:
            location, loc = loc[0], loc[1:]
        rule = str(error.get("type", "invalid"))
        result.append(
            FieldError(
                path=".".join(str(part) for part in loc),
                location=location,
                rule=rule,
                message=_safe_message(rule, error),
            )
        )
    return result


def _safe_message(rule: str, error: Mapping[str, Any]) -> str:
    if rule in _PASSED_THROUGH:
        return str(error.get("msg", "Invalid value"))
    raw_context = error.get("ctx") or {}
    context = {k: v for k, v in raw_context.items() if k in _SAFE_CONTEXT}
    try:
        return PydanticKnownError(rule, context or None).message()  # type: ignore[arg-type]
    except (TypeError, KeyError, ValueError):
        # An unknown error type, or one whose message needs the input: say only that it failed.
        return "Invalid value"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def problem_exception_handler(request: Request, exc: Exception) -> Response:
    """``HTTPException`` (FastAPI's, Starlette's, ``ProblemError``) as problem+json."""
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registration guard
        raise exc
    headers = dict(exc.headers or {})
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    if isinstance(exc, ProblemError):
        return problem_response(
            exc.status_code,
            title=exc.title,
            detail=detail,
            type_=exc.type,
            headers=headers,
            extensions=exc.extensions,
        )
    return problem_response(exc.status_code, detail=detail, headers=headers)


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    """A request that failed validation as a ``422`` naming each field, without its value."""
    if not isinstance(exc, RequestValidationError):  # pragma: no cover - registration guard
        raise exc
    errors = field_errors(exc.errors())
    count = len(errors)
    return problem_response(
        422,
        title="Request validation failed",
        detail=f"{count} invalid field{'s' if count != 1 else ''}",
        type_=VALIDATION_ERROR,
        errors=errors,
    )


async def unhandled_exception_handler(request: Request, exc: Exception) -> Response:
    """A bare ``500`` problem: no exception text, which may contain request data."""
    log.error(
        "unhandled error in %s %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    return problem_response(500)


def install_error_handlers(app: FastAPI) -> None:
    """Render HTTP errors, validation errors and unhandled errors as problem+json."""
    app.add_exception_handler(StarletteHTTPException, problem_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_exception_handler(Exception, unhandled_exception_handler)


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "location", "rule", "message"],
                    "properties": {
                        "path": {"type": "string"},
                        "location": {"type": "string"},
                        "rule": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem+json bodies for the given statuses."""
    return {
        status: {
            "description": _phrase(status),
            "content": {PROBLEM_JSON: {"schema": _problem_schema()}},
        }
        for status in statuses
    }
