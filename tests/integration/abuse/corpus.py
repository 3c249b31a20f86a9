"""The abuse corpus: hostile and broken inputs for the ingest HTTP API and the Kafka intake.

Each case is data: the bytes to send (built fresh per run, with a new application id, so that no
case collides with another), and exactly what must come back. Applicants carry distinctive
synthetic personal values, so that a scan of records and logs for them means something.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from services.common.contracts import WIRE_CONTEXT, SubmittedApplication
from tests.integration.ingest.applicant import DELETE, Applicant

FORGED_MESSAGE: Final = "FORGED-LOG-LINE-7c1e"
"""A log line an attacker tries to smuggle in through a newline; it must never appear as one."""
FORGED_LINE: Final = '\n{"level": "CRITICAL", "message": "' + FORGED_MESSAGE + '"}\n'

SQL_INJECTION: Final = "Robert'); DROP TABLE applications;--"
TEMPLATE_INJECTION: Final = "{{7*7}}${7*7}#{7*7}<%= 7*7 %>"
SCRIPT_INJECTION: Final = "<script>alert(document.cookie)</script>"
CRLF_INJECTION: Final = "acme\r\nX-Injected: yes\r\nSet-Cookie: owned=1"
RTL_OVERRIDE_NAME: Final = "\u202eenilorac\u202c"
ZERO_WIDTH_NAME: Final = "Zy\u200bph\u200d\ufeffra"
CONTROL_CHARACTERS: Final = "Nul\u0000Bell\u0007Esc\u001b[31mDel\u007f"


def shell_injection(marker_path: str) -> str:
    """A command substitution that would create ``marker_path`` if anything ran it."""
    return f"$(touch {marker_path})`touch {marker_path}`"


HTTP_APPLICANT = Applicant(
    "Xanthelope",
    "Quirrendale",
    "582917346",
    "1997-09-21",
    "48 Thistlewhit Crescent",
    "+14155550847",
)
HTTP_APPLICANT_B = Applicant(
    "Brisendrel", "Vontaskewick", "417395628", "1997-10-05", "6 Marrowgate Steps", "+14155550962"
)
KAFKA_APPLICANT = Applicant(
    "Ottolinde", "Harrowgarthe", "593718264", "1997-07-11", "230 Fennimore Dell", "+14155550713"
)
APPLICANTS: Final = (HTTP_APPLICANT, HTTP_APPLICANT_B, KAFKA_APPLICANT)


def leaks(text: str) -> list[str]:
    """The applicants' personal values found in ``text`` (case-insensitive)."""
    lowered = text.lower()
    return [
        secret
        for applicant in APPLICANTS
        for secret in applicant.secrets()
        if secret.lower() in lowered
    ]


def wire(payload: Mapping[str, Any]) -> bytes:
    """A valid payload as an upstream producer serialises it (raw SSN included)."""
    model = SubmittedApplication.model_validate(payload)
    return model.model_dump_json(context=WIRE_CONTEXT).encode()


# --- HTTP: bodies of POST /v1/applications ---------------------------------------------------


@dataclass(frozen=True)
class BodyCase:
    """One hostile body and the exact answer it must get.

    ``paths`` must all be named in a ``422``'s errors (with ``rule`` when given). An accepted
    case (``202``) lists what the received event must hold literally: ``clear`` paths of the
    received application, ``personal`` paths of the sealed personal details once opened.
    """

    id: str
    body: Callable[[], bytes]
    status: int
    paths: Mapping[str, str | None] = field(default_factory=dict)
    content_type: str | None = "application/json"
    clear: Mapping[str, Any] = field(default_factory=dict)
    personal: Mapping[str, Any] = field(default_factory=dict)


A = HTTP_APPLICANT


def _replace_once(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1, (old, body.count(old))
    return body.replace(old, new)


def _with_token(path: str, token: str) -> Callable[[], bytes]:
    """A valid body whose numeric field at ``path`` is replaced by a bare JSON token."""

    def build() -> bytes:
        marker = "__abuse_token__"
        return _replace_once(A.body(**{path: marker}), f'"{marker}"'.encode(), token.encode())

    return build


def _duplicate_key() -> bytes:
    # The channel appears twice: JSON parsers keep the last value; so must the received event.
    body = A.body(channel="web")
    return _replace_once(body, b'"channel": "web"', b'"channel": "web", "channel": "branch"')


def _nested(depth: int) -> bytes:
    return b'{"customer_id":' * depth + b'"x"' + b"}" * depth


def _missing(*paths: str) -> Callable[[], bytes]:
    return lambda: A.body(**dict.fromkeys(paths, DELETE))


def _prototype_pollution() -> bytes:
    payload = A.payload()
    payload["__proto__"] = {"is_admin": True}
    return json.dumps(payload).encode()


def _deep_array_in_field() -> bytes:
    return _replace_once(
        A.body(customer_id="__deep__"), b'"__deep__"', b"[" * 3000 + b"1" + b"]" * 3000
    )


BODY_CASES: Final[tuple[BodyCase, ...]] = (
    # Not JSON, or not one JSON object.
    BodyCase("malformed-json", lambda: b"{customer_id: 'x',}", 422, {"(root)": "json_invalid"}),
    BodyCase(
        "truncated-json", lambda: A.body()[: len(A.body()) // 2], 422, {"(root)": "json_invalid"}
    ),
    BodyCase("empty-body", lambda: b"", 422, {"(root)": "json_invalid"}),
    BodyCase("whitespace-only", lambda: b"  \r\n\t ", 422, {"(root)": "json_invalid"}),
    BodyCase("json-array", lambda: b"[" + A.body() + b"]", 422, {"(root)": "model_type"}),
    BodyCase("json-string", lambda: b'"application"', 422, {"(root)": "model_type"}),
    BodyCase("json-number", lambda: b"42", 422, {"(root)": "model_type"}),
    BodyCase("json-null", lambda: b"null", 422, {"(root)": "model_type"}),
    BodyCase("trailing-garbage", lambda: A.body() + b"; rm -rf /", 422, {"(root)": "json_invalid"}),
    BodyCase("two-documents", lambda: A.body() + A.body(), 422, {"(root)": "json_invalid"}),
    BodyCase("utf8-bom", lambda: b"\xef\xbb\xbf" + A.body(), 422, {"(root)": "json_invalid"}),
    BodyCase(
        "utf16-body",
        lambda: json.dumps(A.payload()).encode("utf-16"),
        422,
        {"(root)": "json_invalid"},
    ),
    BodyCase("duplicate-keys-last-wins", _duplicate_key, 202, clear={"channel": "branch"}),
    # Content types that are not JSON are refused before the body is judged.
    BodyCase("content-type-text", lambda: A.body(), 415, content_type="text/plain"),
    BodyCase(
        "content-type-form",
        lambda: b"customer_id=x&ssn=" + A.ssn.encode(),
        415,
        content_type="application/x-www-form-urlencoded",
    ),
    BodyCase("content-type-xml", lambda: A.body(), 415, content_type="application/xml"),
    BodyCase(
        "content-type-multipart",
        lambda: A.body(),
        415,
        content_type="multipart/form-data; boundary=abuse",
    ),
    BodyCase(
        "content-type-json-charset",
        lambda: A.body(),
        202,
        content_type="application/json; charset=utf-8",
    ),
    # Wrong types in every kind of field.
    BodyCase(
        "string-for-integer",
        lambda: A.body(financials__credit_score="seven hundred"),
        422,
        {"financials.credit_score": "int_parsing"},
    ),
    BodyCase(
        "string-for-float",
        lambda: A.body(loan__amount="lots"),
        422,
        {"loan.amount": "float_parsing"},
    ),
    BodyCase(
        "number-for-enum",
        lambda: A.body(channel=3),
        422,
        {"channel": "enum"},
    ),
    BodyCase(
        "unknown-enum-value",
        lambda: A.body(loan__product="Yacht"),
        422,
        {"loan.product": "enum"},
    ),
    BodyCase(
        "object-for-string",
        lambda: A.body(customer_id={"$ne": None}),
        422,
        {"customer_id": "string_type"},
    ),
    BodyCase(
        "array-for-string",
        lambda: A.body(customer_id=["a", "b"]),
        422,
        {"customer_id": "string_type"},
    ),
    BodyCase(
        "array-for-object",
        lambda: A.body(loan=[1, 2]),
        422,
        {"loan": "model_type"},
    ),
    BodyCase(
        "string-for-object",
        lambda: A.body(identity="Xanthelope Quirrendale"),
        422,
        {"identity": "model_type"},
    ),
    BodyCase(
        "number-for-boolean",
        lambda: A.body(consents__credit_check__granted=2),
        422,
        {"consents.credit_check.granted": "bool_parsing"},
    ),
    BodyCase(
        "string-for-date",
        lambda: A.body(identity__date_of_birth="yesterday"),
        422,
        {"identity.date_of_birth": None},
    ),
    BodyCase(
        "naive-timestamp",
        lambda: A.body(submitted_at="2025-03-14T09:26:53"),
        422,
        {"submitted_at": "timezone_aware"},
    ),
    BodyCase(
        "null-for-required",
        lambda: A.body(loan__amount=None),
        422,
        {"loan.amount": "float_type"},
    ),
    BodyCase(
        "ssn-as-number",
        lambda: A.body(identity__ssn=int(A.ssn)),
        422,
        {"identity.ssn": None},
    ),
    BodyCase(
        "ssn-with-dashes",
        lambda: A.body(identity__ssn=f"{A.ssn[:3]}-{A.ssn[3:5]}-{A.ssn[5:]}"),
        422,
        {"identity.ssn": None},
    ),
    BodyCase(
        "application-id-not-uuid",
        lambda: A.body(application_id="../../etc/passwd"),
        422,
        {"application_id": "uuid_parsing"},
    ),
    # Missing and unknown fields.
    BodyCase(
        "missing-top-level",
        _missing("loan", "consents"),
        422,
        {"loan": "missing", "consents": "missing"},
    ),
    BodyCase(
        "missing-nested",
        _missing("identity__ssn", "financials__credit_score"),
        422,
        {"identity.ssn": "missing", "financials.credit_score": "missing"},
    ),
    BodyCase(
        "unknown-top-level-field",
        lambda: A.body(is_admin=True),
        422,
        {"is_admin": "extra_forbidden"},
    ),
    BodyCase(
        "unknown-nested-field",
        lambda: A.body(loan__interest_rate_override=0.0),
        422,
        {"loan.interest_rate_override": "extra_forbidden"},
    ),
    BodyCase(
        "prototype-pollution-key",
        _prototype_pollution,
        422,
        {"__proto__": "extra_forbidden"},
    ),
    # Size and depth.
    BodyCase(
        "huge-string-in-field",
        lambda: A.body(customer_id="c" * 200_000),
        422,
        {"customer_id": "string_too_long"},
    ),
    BodyCase(
        "huge-name",
        lambda: A.body(identity__name={"given_name": "N" * 5_000, "family_name": A.family_name}),
        422,
        {"identity.name.given_name": "string_too_long"},
    ),
    BodyCase("over-body-limit", lambda: A.body(customer_id="c" * 300_000), 413),
    BodyCase("deep-nesting-under-limit", lambda: _nested(10_000), 422, {"(root)": "json_invalid"}),
    BodyCase("deep-nesting-over-limit", lambda: _nested(60_000), 413),
    BodyCase("deep-array-in-field", _deep_array_in_field, 422, {"(root)": "json_invalid"}),
    BodyCase(
        "too-many-documents",
        lambda: A.body(
            documents=[
                {
                    "document_id": f"doc-{i}",
                    "kind": "w2",
                    "storage_uri": f"s3://uploads/x/doc-{i}.pdf",
                    "sha256": "a" * 64,
                    "content_type": "application/pdf",
                    "size_bytes": 10,
                }
                for i in range(51)
            ]
        ),
        422,
        {"documents": "too_long"},
    ),
    # Bytes and characters.
    BodyCase(
        "invalid-utf8-in-name",
        lambda: _replace_once(A.body(), A.given_name.encode(), b"Xan\xff\xfethelope"),
        422,
        {"(root)": "json_invalid"},
    ),
    BodyCase(
        "overlong-utf8-slash",
        lambda: _replace_once(A.body(), A.line1.encode(), b"48 \xc0\xaf\xc0\xae Crescent"),
        422,
        {"(root)": "json_invalid"},
    ),
    BodyCase(
        "lone-surrogate-escape",
        lambda: _replace_once(A.body(), A.family_name.encode(), b"Quirr\\udc80endale"),
        422,
        {"(root)": "json_invalid"},
    ),
    BodyCase(
        "nul-and-control-characters-in-names",
        lambda: A.body(
            identity__name={"given_name": CONTROL_CHARACTERS, "family_name": A.family_name}
        ),
        202,
        personal={"name.given_name": CONTROL_CHARACTERS},
    ),
    BodyCase(
        "rtl-override-and-zero-width-in-names",
        lambda: A.body(
            identity__name={"given_name": ZERO_WIDTH_NAME, "family_name": RTL_OVERRIDE_NAME}
        ),
        202,
        personal={"name.given_name": ZERO_WIDTH_NAME, "name.family_name": RTL_OVERRIDE_NAME},
    ),
    BodyCase(
        "astral-characters-in-free-text",
        lambda: A.body(employment__occupation="\U0001f9d1\u200d\U0001f4bb engineer \U00010348"),
        202,
        clear={"employment.occupation": "\U0001f9d1\u200d\U0001f4bb engineer \U00010348"},
    ),
    # Extreme numbers.
    BodyCase(
        "nan-token",
        _with_token("financials__debt_to_income_ratio", "NaN"),
        422,
        {"financials.debt_to_income_ratio": "finite_number"},
    ),
    BodyCase(
        "infinity-token",
        _with_token("financials__annual_income", "Infinity"),
        422,
        {"financials.annual_income": "finite_number"},
    ),
    BodyCase(
        "negative-infinity-token",
        _with_token("financials__checking_balance", "-Infinity"),
        422,
        {"financials.checking_balance": "finite_number"},
    ),
    BodyCase(
        "1e308",
        _with_token("loan__amount", "1e308"),
        422,
        {"loan.amount": "less_than_equal"},
    ),
    BodyCase(
        "1e309-overflows-to-infinity",
        _with_token("loan__amount", "1e309"),
        422,
        {"loan.amount": "finite_number"},
    ),
    BodyCase(
        "negative-zero-amount",
        _with_token("loan__amount", "-0.0"),
        422,
        {"loan.amount": "greater_than"},
    ),
    BodyCase(
        "huge-integer",
        _with_token("financials__credit_score", "9" * 400),
        422,
        {"financials.credit_score": None},
    ),
    BodyCase(
        "huge-integer-for-float",
        _with_token("financials__annual_income", "9" * 400),
        422,
        {"financials.annual_income": "finite_number"},
    ),
    BodyCase(
        "negative-amount",
        lambda: A.body(loan__amount=-11155.71),
        422,
        {"loan.amount": None},
    ),
    BodyCase(
        "negative-count",
        lambda: A.body(household__num_dependents=-1),
        422,
        {"household.num_dependents": "greater_than_equal"},
    ),
    BodyCase(
        "fractional-integer",
        lambda: A.body(financials__existing_loans=2.5),
        422,
        {"financials.existing_loans": "int_from_float"},
    ),
    BodyCase(
        "amount-with-many-decimals",
        _with_token("loan__amount", "11155.7100000000000000000001"),
        202,
        clear={"loan.amount": 11155.71},
    ),
    BodyCase(
        "hex-number-token",
        _with_token("financials__credit_score", "0x2b5"),
        422,
        {"(root)": "json_invalid"},
    ),
    # Business rules still hold for well-typed hostile values.
    BodyCase(
        "born-in-the-future",
        lambda: A.body(identity__date_of_birth="2999-01-01"),
        422,
        {"identity.date_of_birth": "date_of_birth_in_future"},
    ),
    BodyCase(
        "submitted-in-year-9999",
        lambda: A.body(submitted_at="9999-12-31T23:59:59-23:59"),
        422,
        {"submitted_at": "submitted_at_in_future"},
    ),
    BodyCase(
        "consent-refused",
        lambda: A.body(consents__credit_check__granted=False),
        422,
        {"consents.credit_check.granted": "credit_check_consent_required"},
    ),
)


def injection_cases(marker_path: str) -> tuple[BodyCase, ...]:
    """Injection strings in names and free text: accepted as plain data, never interpreted.

    Each must arrive in the received event exactly as sent (``{{7*7}}`` stays that, not 49).
    """
    shell = shell_injection(marker_path)
    return (
        BodyCase(
            "sql-injection-in-name",
            lambda: A.body(identity__name={"given_name": SQL_INJECTION, "family_name": "O'Brien"}),
            202,
            personal={"name.given_name": SQL_INJECTION, "name.family_name": "O'Brien"},
        ),
        BodyCase(
            "shell-injection-in-free-text",
            lambda: A.body(employment__employer_name=shell, employment__occupation="`id`;id|id"),
            202,
            clear={"employment.employer_name": shell, "employment.occupation": "`id`;id|id"},
        ),
        BodyCase(
            "template-injection",
            lambda: A.body(
                customer_id=TEMPLATE_INJECTION,
                identity__name={"given_name": TEMPLATE_INJECTION, "family_name": A.family_name},
            ),
            202,
            clear={"customer_id": TEMPLATE_INJECTION},
            personal={"name.given_name": TEMPLATE_INJECTION},
        ),
        BodyCase(
            "script-tag-in-name-and-user-agent",
            lambda: A.body(
                identity__name={"given_name": SCRIPT_INJECTION, "family_name": A.family_name},
                device__user_agent=SCRIPT_INJECTION,
            ),
            202,
            clear={"device.user_agent": SCRIPT_INJECTION},
            personal={"name.given_name": SCRIPT_INJECTION},
        ),
        BodyCase(
            "log-forging-newline-in-name",
            lambda: A.body(
                identity__name={"given_name": "Ann" + FORGED_LINE, "family_name": A.family_name},
                employment__occupation="clerk" + FORGED_LINE,
            ),
            202,
            clear={"employment.occupation": "clerk" + FORGED_LINE},
            personal={"name.given_name": "Ann" + FORGED_LINE},
        ),
        BodyCase(
            "log-forging-in-refused-field",
            lambda: A.body(customer_id=("c" + FORGED_LINE) * 4),
            422,
            {"customer_id": "string_too_long"},
        ),
        BodyCase(
            "crlf-header-injection-in-free-text",
            lambda: A.body(employment__employer_name=CRLF_INJECTION, device__session_id="s\r\n"),
            202,
            clear={"employment.employer_name": CRLF_INJECTION, "device.session_id": "s\r\n"},
        ),
        BodyCase(
            "crlf-in-application-id",
            lambda: A.body(application_id="00000000-0000-4000-8000-000000000001\r\nX-Injected: 1"),
            422,
            {"application_id": "uuid_parsing"},
        ),
    )


# --- Kafka: records on loan.applications.submitted.v1 ----------------------------------------


@dataclass(frozen=True)
class KafkaCase:
    """One hostile record and the dead letter it must become (``kind`` and a reason)."""

    id: str
    key: bytes | None
    value: Callable[[], bytes | None]
    kind: str
    reason: str
    """Text the dead letter's message or one of its errors must contain."""


K = KAFKA_APPLICANT
KAFKA_KEY: Final = b"customer-f74efbce"


def _kafka_valid(**changes: Any) -> bytes:
    return wire(K.payload(**changes))


def _kafka_mistyped() -> bytes:
    payload = json.loads(_kafka_valid())
    payload["financials"]["credit_score"] = "excellent"
    return json.dumps(payload).encode()


def _kafka_unknown_field() -> bytes:
    payload = json.loads(_kafka_valid())
    payload["internal_override"] = {"approve": True}
    return json.dumps(payload).encode()


def _kafka_padded(size: int) -> bytes:
    body = _kafka_valid()
    return body[:-1] + b" " * size + b"}"


def _kafka_huge_name() -> bytes:
    payload = json.loads(_kafka_valid())
    payload["identity"]["name"]["family_name"] = K.family_name * 4_000
    return json.dumps(payload).encode()


KAFKA_CASES: Final[tuple[KafkaCase, ...]] = (
    KafkaCase(
        "binary-garbage",
        KAFKA_KEY,
        lambda: b"\x00\x01\x02\xfe\xffgarbage" + K.ssn.encode(),
        "undecodable",
        "Invalid JSON",
    ),
    KafkaCase(
        "invalid-utf8",
        KAFKA_KEY,
        lambda: _replace_once(_kafka_valid(), K.given_name.encode(), b"Otto\xff\xfelinde"),
        "undecodable",
        "Invalid JSON",
    ),
    KafkaCase(
        "truncated-json",
        KAFKA_KEY,
        lambda: _kafka_valid()[: len(_kafka_valid()) - 40],
        "undecodable",
        "Invalid JSON",
    ),
    KafkaCase(
        "json-not-an-object",
        KAFKA_KEY,
        lambda: b"[" + _kafka_valid() + b"]",
        "invalid",
        "(root): Input should be an object",
    ),
    KafkaCase("wrong-type", KAFKA_KEY, _kafka_mistyped, "invalid", "financials.credit_score"),
    KafkaCase("unknown-field", KAFKA_KEY, _kafka_unknown_field, "invalid", "internal_override"),
    KafkaCase(
        "nan-token",
        KAFKA_KEY,
        lambda: _replace_once(
            _kafka_valid(), b'"debt_to_income_ratio":40.24', b'"debt_to_income_ratio":NaN'
        ),
        "invalid",
        "financials.debt_to_income_ratio",
    ),
    KafkaCase(
        "business-rule",
        KAFKA_KEY,
        lambda: _kafka_valid(employment__years_employed=20),
        "rejected",
        "employment.years_employed: years_employed_exceeds_age_minus_14",
    ),
    KafkaCase(
        "oversized-valid-json",
        KAFKA_KEY,
        lambda: _kafka_padded(400 * 1024),
        "invalid",
        "exceeds 262144 bytes",
    ),
    KafkaCase(
        "huge-string-in-field",
        KAFKA_KEY,
        _kafka_huge_name,
        "invalid",
        "identity.name.family_name",
    ),
    KafkaCase(
        "missing-key-and-garbage",
        None,
        lambda: b"{'ssn': " + K.ssn.encode() + b"}",
        "undecodable",
        "Invalid JSON",
    ),
    KafkaCase(
        "invalid-utf8-key",
        b"cust\xff\xfeomer",
        _kafka_valid,
        "undecodable",
        "can't decode",
    ),
    KafkaCase("tombstone", KAFKA_KEY, lambda: None, "undecodable", "record has no value"),
)
