from __future__ import annotations

import json
import os
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from services.cli.schemas import app as schemas_cli
from services.common.contracts import (
    HEADER_NAMES,
    WIRE_CONTEXT,
    DeadLetter,
    EventModel,
    FailureDetail,
    OriginalRecord,
    Topics,
)
from services.common.schema_export import (
    ASYNCAPI_FILE,
    OPENAPI_FILE,
    SCHEMA_DIALECT,
    check_backward_compatible,
    check_schemas,
    export_schemas,
    ingest_openapi_document,
    render_all,
    schema_file_name,
    topic_schema,
)
from tests.unit.contracts import samples

REPO_ROOT = Path(__file__).resolve().parents[3]
COMMITTED = REPO_ROOT / "schemas"
EXPORT_HINT = "schemas/ is stale: run `prescreen schemas export` and commit the result"


def _dead_letter() -> DeadLetter:
    return DeadLetter(
        stage="fraud",
        failed_at=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        original=OriginalRecord(
            topic=Topics.DOCUMENTS_VERIFIED.name, partition=2, offset=41, key="abc"
        ),
        failure=FailureDetail(
            kind="invalid", error_class="ValidationError", message="1 error", attempts=1
        ),
        payload_b64="e30=",
    )


SAMPLE_EVENTS: dict[str, Any] = {
    Topics.SUBMITTED.name: samples.submission,
    Topics.RECEIVED.name: samples.received,
    Topics.DOCUMENTS_UPLOADED.name: samples.documents_uploaded,
    Topics.DOCUMENTS_VERIFIED.name: samples.documents_verified,
    Topics.FRAUD_SCREENED.name: samples.fraud_screened,
    Topics.SCORED.name: samples.scored,
    Topics.DECISIONS.name: samples.decision,
    Topics.WEBHOOK_RETRIES.name: samples.webhook_retry,
    Topics.DECISION_STATS.name: samples.decision_stats,
    Topics.DLQ.name: _dead_letter,
}


def _validator(spec_name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((COMMITTED / f"{spec_name}.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _wire(event: EventModel) -> dict[str, Any]:
    return event.model_dump(mode="json", context=WIRE_CONTEXT)


# -- the committed files ----------------------------------------------------------------


def test_committed_schemas_match_a_fresh_export(tmp_path: Path) -> None:
    export_schemas(tmp_path)
    fresh = sorted(path.name for path in tmp_path.iterdir())
    assert fresh == sorted(render_all())
    for name in fresh:
        committed = COMMITTED / name
        assert committed.is_file(), f"{name} missing; {EXPORT_HINT}"
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), f"{name}: {EXPORT_HINT}"
    assert check_schemas(COMMITTED).ok


def test_current_models_are_backward_compatible_with_committed_schemas() -> None:
    for spec in Topics.all():
        committed = json.loads((COMMITTED / schema_file_name(spec)).read_text(encoding="utf-8"))
        assert check_backward_compatible(committed, topic_schema(spec)) == [], spec.name


def test_export_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    export_schemas(first)
    export_schemas(second)
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(path.name for path in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    again = export_schemas(first)
    assert not any(item.changed for item in again)


def test_json_files_are_sorted_indented_and_end_with_a_newline() -> None:
    for name in [*(schema_file_name(spec) for spec in Topics.all()), OPENAPI_FILE]:
        text = (COMMITTED / name).read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert text == json.dumps(
            json.loads(text), indent=2, sort_keys=True, ensure_ascii=False
        ) + ("\n")


@pytest.mark.parametrize("spec", Topics.all(), ids=lambda spec: spec.name)
def test_every_exported_schema_is_valid_draft_2020_12(spec: Any) -> None:
    schema = json.loads((COMMITTED / schema_file_name(spec)).read_text(encoding="utf-8"))
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"] == f"https://loan-prescreen.dev/schemas/{spec.name}.json"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("spec", Topics.all(), ids=lambda spec: spec.name)
def test_sample_event_validates_against_its_schema(spec: Any) -> None:
    event = SAMPLE_EVENTS[spec.name]()
    assert isinstance(event, spec.value_model)
    validator = _validator(spec.name)
    payload = _wire(event)
    errors = [error.message for error in validator.iter_errors(payload)]
    assert errors == []
    # The schema is not a rubber stamp: an unknown property is refused as the model refuses it.
    assert not validator.is_valid({**payload, "unexpected": 1})


def test_schemas_refuse_what_the_models_refuse() -> None:
    submitted = _validator(Topics.SUBMITTED.name)
    masked = samples.submission().model_dump(mode="json")
    assert not submitted.is_valid(masked), "a masked SSN must not pass as a real one"
    broken = _wire(samples.submission())
    broken["loan"]["product"] = "Boat"
    assert not submitted.is_valid(broken)
    scored = _validator(Topics.SCORED.name)
    without_scoring = _wire(samples.fraud_screened())
    assert not scored.is_valid(without_scoring)
    received = _validator(Topics.RECEIVED.name)
    assert received.is_valid(without_scoring)


# -- staleness and compatibility checks on a copy -------------------------------------------


@pytest.fixture
def committed_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(COMMITTED, copy)
    return copy


def test_check_passes_on_an_unmodified_copy(committed_copy: Path) -> None:
    report = check_schemas(committed_copy)
    assert report.ok, report.to_dict()
    assert report.checked == len(Topics.all()) + 2


def test_check_flags_a_modified_file(committed_copy: Path) -> None:
    path = committed_copy / schema_file_name(Topics.DECISIONS)
    committed = json.loads(path.read_text(encoding="utf-8"))
    committed["description"] = "Edited by hand."
    path.write_text(json.dumps(committed, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report = check_schemas(committed_copy)
    assert not report.ok
    assert report.stale == [f"{path.name}: differs from the current models"]
    assert report.breaking == {}


def test_check_flags_missing_and_unexpected_files(committed_copy: Path) -> None:
    (committed_copy / ASYNCAPI_FILE).unlink()
    (committed_copy / "loan.retired.v1.json").write_text("{}\n")
    report = check_schemas(committed_copy)
    assert f"{ASYNCAPI_FILE}: missing" in report.stale
    assert any(line.startswith("loan.retired.v1.json") for line in report.stale)
    assert "loan.retired.v1.json" in report.breaking


def test_check_flags_a_stale_openapi_document(committed_copy: Path) -> None:
    path = committed_copy / OPENAPI_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["paths"]["/v1/applications"]
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report = check_schemas(committed_copy)
    assert not report.ok
    assert report.stale == [f"{OPENAPI_FILE}: differs from the current models"]
    assert report.breaking == {}


def test_check_flags_a_missing_openapi_document(committed_copy: Path) -> None:
    (committed_copy / OPENAPI_FILE).unlink()
    report = check_schemas(committed_copy)
    assert report.stale == [f"{OPENAPI_FILE}: missing"]


def test_the_openapi_document_is_not_taken_for_a_retired_topic(committed_copy: Path) -> None:
    report = check_schemas(committed_copy)
    assert not any(line.startswith(OPENAPI_FILE) for line in report.stale)
    assert OPENAPI_FILE not in report.breaking


def test_check_flags_models_that_broke_compatibility(committed_copy: Path) -> None:
    # Pretend the committed schema had a property the current model no longer has.
    path = committed_copy / schema_file_name(Topics.RECEIVED)
    committed = json.loads(path.read_text(encoding="utf-8"))
    committed["properties"]["legacy_channel"] = {"type": "string"}
    committed["$defs"]["LoanRequest"]["properties"]["amount"]["maximum"] = 2_000_000_000
    path.write_text(json.dumps(committed, indent=2, sort_keys=True) + "\n")
    report = check_schemas(committed_copy)
    problems = report.breaking[Topics.RECEIVED.name]
    assert "$.legacy_channel: property removed" in problems
    assert any(
        problem.startswith("$.application.loan.amount: upper bound lowered") for problem in problems
    )


# -- OpenAPI -------------------------------------------------------------------------------


def test_openapi_is_built_without_services_or_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("PRESCREEN_", "KAFKA_", "REDIS_")):
            monkeypatch.delenv(name)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("building the OpenAPI document opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    document = ingest_openapi_document()
    assert document["info"]["title"] == "loan-prescreen ingest"
    assert document == ingest_openapi_document()


def test_openapi_describes_the_ingest_routes_and_their_security() -> None:
    document = json.loads((COMMITTED / OPENAPI_FILE).read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {
        "/v1/applications",
        "/v1/applications/{application_id}",
        "/v1/applications/{application_id}/documents",
    } <= set(paths)
    assert "/healthz" not in paths and "/readyz" not in paths
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    submit = paths["/v1/applications"]["post"]
    assert submit["requestBody"]["required"] is True
    assert "202" in submit["responses"]
    for item in paths.values():
        for operation in item.values():
            assert operation["security"], operation["operationId"]


# -- AsyncAPI ------------------------------------------------------------------------------


def _resolve_local(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_asyncapi_describes_every_topic() -> None:
    document = yaml.safe_load((COMMITTED / ASYNCAPI_FILE).read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["kafka"] == {
        "host": "localhost:9092",
        "protocol": "kafka",
        "description": document["servers"]["kafka"]["description"],
    }
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {spec.name for spec in Topics.all()}
    for ref in _refs(document):
        if ref.startswith("#/"):
            _resolve_local(document, ref)
        else:
            assert (COMMITTED / ref).is_file(), ref
    for spec in Topics.all():
        sends = [
            operation
            for operation in document["operations"].values()
            if operation["action"] == "send"
            and _resolve_local(document, operation["channel"]["$ref"])["address"] == spec.name
        ]
        assert len(sends) == 1, spec.name
        message = document["components"]["messages"][spec.value_model.__name__]
        assert message["payload"] == {"$ref": f"./{spec.name}.json"}
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        headers = message["headers"]["properties"]
        assert set(HEADER_NAMES) <= set(headers)
        assert headers["ce_type"]["const"] == spec.ce_type


# -- command line -------------------------------------------------------------------------


def test_cli_export_then_check(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    exported = runner.invoke(schemas_cli, ["export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert f"wrote {out / ASYNCAPI_FILE}" in exported.output
    assert f"wrote {out / OPENAPI_FILE}" in exported.output
    assert (out / OPENAPI_FILE).read_bytes() == (COMMITTED / OPENAPI_FILE).read_bytes()
    checked = runner.invoke(schemas_cli, ["check", "--dir", str(out), "--json"])
    assert checked.exit_code == 0, checked.output
    result = json.loads(checked.output.strip().splitlines()[-1])
    assert result["ok"] is True
    assert result["stale"] == []


def test_cli_check_fails_and_explains_on_stale_files(committed_copy: Path) -> None:
    runner = CliRunner()
    (committed_copy / schema_file_name(Topics.SCORED)).write_text("{}\n")
    checked = runner.invoke(schemas_cli, ["check", "--dir", str(committed_copy)])
    assert checked.exit_code == 1
    assert "Stale schema files" in checked.output
    assert "prescreen schemas export" in checked.output
    as_json = runner.invoke(schemas_cli, ["check", "--dir", str(committed_copy), "--json"])
    assert as_json.exit_code == 1
    result = json.loads(as_json.output.strip().splitlines()[-1])
    assert result["ok"] is False
    assert result["stale"] == [f"{Topics.SCORED.name}.json: differs from the current models"]


def _asyncapi_message(spec: Any) -> dict[str, Any]:
    document = yaml.safe_load((COMMITTED / ASYNCAPI_FILE).read_text(encoding="utf-8"))
    message: dict[str, Any] = document["components"]["messages"][spec.value_model.__name__]
    return message


@pytest.mark.parametrize("spec", Topics.all(), ids=lambda spec: spec.name)
def test_every_topic_documents_the_optional_origin_time_header(spec: Any) -> None:
    headers = _asyncapi_message(spec)["headers"]
    origin = headers["properties"]["prescreen_origin_time"]
    assert origin["type"] == "string"
    assert origin["format"] == "date-time"
    assert "prescreen_origin_time" not in headers.get("required", [])


DLQ_PROVENANCE_HEADERS = (
    "dlq_original_topic",
    "dlq_original_partition",
    "dlq_original_offset",
    "dlq_stage",
    "dlq_error_class",
    "dlq_error_message",
    "dlq_failure_kind",
)


def test_dead_letters_document_their_provenance_headers() -> None:
    message = _asyncapi_message(Topics.DLQ)
    headers = message["headers"]
    properties = headers["properties"]
    for name in (*DLQ_PROVENANCE_HEADERS, "ce_id", "ce_type", "ce_source", "traceparent"):
        assert name in headers["required"], name
    for name in DLQ_PROVENANCE_HEADERS:
        assert properties[name]["type"] == "string", name
        assert properties[name]["description"], name
    assert properties["ce_type"]["const"] == Topics.DLQ.ce_type
    assert properties["dlq_error_message"]["maxLength"] == 500
    assert properties["dlq_failure_kind"]["enum"] == [
        "undecodable",
        "invalid",
        "handler_error",
        "retries_exhausted",
        "rejected",
    ]
    # A record without a key gives a dead letter without a subject and with an empty key.
    assert "ce_subject" not in headers["required"]
    key = message["bindings"]["kafka"]["key"]
    assert "format" not in key
    assert "failed record's own key" in key["description"]


def test_dead_letter_headers_match_what_the_runtime_writes() -> None:
    from services.common.runtime.codec import dead_letter_headers

    written = dead_letter_headers(_dead_letter(), Topics.DLQ.ce_type, "/loan-prescreen/fraud")
    validator = jsonschema.Draft202012Validator(
        _asyncapi_message(Topics.DLQ)["headers"],
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    as_text = {
        name: value.decode() if isinstance(value, bytes) else value for name, value in written
    }
    assert [error.message for error in validator.iter_errors(as_text)] == []


def test_other_topics_keep_a_uuid_key() -> None:
    key = _asyncapi_message(Topics.RECEIVED)["bindings"]["kafka"]["key"]
    assert key["format"] == "uuid"
