"""Export the event contracts as JSON Schema and AsyncAPI files, the ingest HTTP API as an
OpenAPI document, and check committed copies.

The output is a pure function of the models, the topic registry and the ingest routes (no
timestamps, sorted JSON keys, fixed YAML layout), so ``schemas/`` can be committed and compared
byte for byte in CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast, get_args

import yaml

from services.common.contracts.cloudevents import (
    CE_SUBJECT,
    CONTENT_TYPE,
    TRACEPARENT,
    CloudEventHeaders,
)
from services.common.contracts.compatibility import check_backward_compatible
from services.common.contracts.dead_letter import DeadLetter, FailureKind
from services.common.contracts.registry import (
    ANY_WRITER,
    DEFAULT_READERS,
    UPSTREAM_WRITER,
    Topics,
)
from services.common.contracts.topics import TopicSpec

__all__ = [
    "ASYNCAPI_FILE",
    "OPENAPI_FILE",
    "SCHEMA_BASE_URI",
    "SCHEMA_DIALECT",
    "ExportedFile",
    "SchemaCheckReport",
    "check_backward_compatible",
    "check_schemas",
    "export_schemas",
    "ingest_openapi_document",
    "render_all",
    "render_asyncapi",
    "render_openapi",
    "render_topic_schema",
    "schema_file_name",
    "topic_schema",
]

SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URI: Final = "https://loan-prescreen.dev/schemas/"
ASYNCAPI_FILE: Final = "asyncapi.yaml"
OPENAPI_FILE: Final = "openapi.json"
ASYNCAPI_VERSION: Final = "3.0.0"
EVENTS_API_VERSION: Final = "1.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
LOCAL_BOOTSTRAP: Final = "localhost:9092"

ORIGIN_TIME_HEADER: Final = "prescreen_origin_time"
DLQ_ERROR_MESSAGE_MAX: Final = 500


def schema_file_name(spec: TopicSpec[Any]) -> str:
    return f"{spec.name}.json"


def topic_schema(spec: TopicSpec[Any]) -> dict[str, Any]:
    """The JSON Schema of a topic's value, as consumers validate it."""
    schema = spec.value_model.model_json_schema(mode="validation")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{SCHEMA_BASE_URI}{schema_file_name(spec)}",
        **schema,
        "x-kafka-topic": {
            "name": spec.name,
            "key": spec.key,
            "writer": spec.writer,
            "cloudevents-type": spec.ce_type,
        },
    }


def _dump_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_topic_schema(spec: TopicSpec[Any]) -> str:
    return _dump_json(topic_schema(spec))


def _identifier(text: str) -> str:
    """AsyncAPI component keys allow letters, digits, '_' and '-' only."""
    return "".join(char if char.isalnum() or char in "_-" else "_" for char in text)


def _service_label(writer: str) -> str:
    if writer == ANY_WRITER:
        return "any-stage"
    return writer


def _is_dead_letter_topic(spec: TopicSpec[Any]) -> bool:
    return spec.value_model is DeadLetter


def _origin_time_header() -> dict[str, Any]:
    return {
        "type": "string",
        "format": "date-time",
        "description": (
            "When the first event of this application's chain was produced (RFC 3339). "
            "Optional; stages copy it forward so end-to-end latency can be measured."
        ),
    }


def _dead_letter_headers() -> dict[str, Any]:
    """Provenance headers of a dead letter, so tools can filter without parsing the value."""
    return {
        "dlq_original_topic": {
            "type": "string",
            "description": "Topic the failed record was consumed from.",
        },
        "dlq_original_partition": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Partition the failed record was consumed from (decimal).",
        },
        "dlq_original_offset": {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "Offset of the failed record in that partition (decimal).",
        },
        "dlq_stage": {
            "type": "string",
            "description": "Service or stage that gave up on the record.",
        },
        "dlq_error_class": {
            "type": "string",
            "description": "Class name of the exception that made the stage give up.",
        },
        "dlq_error_message": {
            "type": "string",
            "maxLength": DLQ_ERROR_MESSAGE_MAX,
            "description": (
                f"Error message with personal data redacted, cut to {DLQ_ERROR_MESSAGE_MAX} "
                "characters (failure.message in the value keeps more)."
            ),
        },
        "dlq_failure_kind": {
            "type": "string",
            "enum": list(get_args(FailureKind)),
            "description": (
                "Why the record failed: undecodable (unreadable key, no value or not JSON), "
                "invalid (fails the topic's schema), handler_error (the stage's handler "
                "raised), retries_exhausted (transient errors outlasted the retries) or "
                "rejected (the handler rejected the event)."
            ),
        },
    }


def _header_schema(spec: TopicSpec[Any]) -> dict[str, Any]:
    model_schema = CloudEventHeaders.model_json_schema()
    properties: dict[str, Any] = {}
    for name, prop in model_schema["properties"].items():
        header = {key: value for key, value in prop.items() if key not in {"title", "default"}}
        # An absent optional header is simply missing; Kafka headers are never null.
        alternatives = header.pop("anyOf", None)
        if alternatives is not None:
            non_null = [alt for alt in alternatives if alt.get("type") != "null"]
            header = {**non_null[0], **header}
        properties[name] = header
    properties["ce_type"] = {
        "type": "string",
        "const": spec.ce_type,
        "description": "CloudEvents type of this message.",
    }
    if spec.writer not in {ANY_WRITER, UPSTREAM_WRITER}:
        properties["ce_source"] = {
            **properties["ce_source"],
            "examples": [f"/loan-prescreen/{spec.writer}"],
        }
    properties["content-type"] = {
        "type": "string",
        "const": CONTENT_TYPE,
        "description": "Media type of the value (CloudEvents datacontenttype).",
    }
    properties[ORIGIN_TIME_HEADER] = _origin_time_header()
    if _is_dead_letter_topic(spec):
        properties[CE_SUBJECT] = {
            **properties[CE_SUBJECT],
            "description": (
                "The application id the failed record was about (its key); absent when the "
                "record had no key."
            ),
        }
        properties.update(_dead_letter_headers())
        required = [name for name in model_schema["required"] if name != CE_SUBJECT]
        return {
            "type": "object",
            "description": (
                "CloudEvents 1.0 binary-mode attributes and W3C trace context of the dead "
                "letter (the trace of the failed record continues), plus provenance headers."
            ),
            "required": [*required, TRACEPARENT, *_dead_letter_headers()],
            "properties": properties,
        }
    if spec.writer == UPSTREAM_WRITER:
        # Bank systems may publish bare JSON; ingest fills the attributes from the record.
        return {
            "type": "object",
            "description": (
                "CloudEvents 1.0 binary-mode attributes and W3C trace context; optional for "
                "upstream producers, ingest derives missing ones from the record."
            ),
            "properties": properties,
        }
    return {
        "type": "object",
        "description": "CloudEvents 1.0 binary-mode attributes and W3C trace context.",
        "required": list(model_schema["required"]),
        "properties": properties,
    }


def _message(spec: TopicSpec[Any]) -> dict[str, Any]:
    model = spec.value_model
    key_schema: dict[str, Any] = {
        "type": "string",
        "description": f"Message key: the {spec.key}; keeps one application on one partition.",
    }
    if _is_dead_letter_topic(spec):
        key_schema["description"] = (
            "Message key: the failed record's own key, normally the application id; empty when "
            "the record had none. Keeps the dead letters of one application on one partition."
        )
    elif spec.key == "application id":
        key_schema["format"] = "uuid"
    return {
        "name": model.__name__,
        "title": model.__name__,
        "summary": spec.description,
        "contentType": CONTENT_TYPE,
        "correlationId": {
            "description": "The application the event is about.",
            "location": "$message.header#/ce_subject",
        },
        "headers": _header_schema(spec),
        "payload": {"$ref": f"./{schema_file_name(spec)}"},
        "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _channel_bindings(spec: TopicSpec[Any]) -> dict[str, Any]:
    binding: dict[str, Any] = {"topic": spec.name, "partitions": spec.partitions}
    if spec.config:
        binding["topicConfiguration"] = {
            key: int(value) if value.isdigit() else value
            for key, value in sorted(spec.config.items())
        }
    binding["bindingVersion"] = KAFKA_BINDING_VERSION
    return {"kafka": binding}


def _writer_summary(writer: str) -> str:
    if writer == ANY_WRITER:
        return "Any stage writes here when it gives up on an event."
    if writer == UPSTREAM_WRITER:
        return "Written by bank systems outside the platform."
    return "The only service allowed to write this topic."


def _operation(action: str, spec: TopicSpec[Any], title: str, summary: str) -> dict[str, Any]:
    # Fresh dicts on every call: shared objects would turn into YAML anchors and aliases.
    channel_id = _identifier(spec.name)
    message_id = spec.value_model.__name__
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "title": title,
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message_id}"}],
    }


def asyncapi_document(specs: Iterable[TopicSpec[Any]] | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 description of every registered topic."""
    topics = tuple(Topics.all() if specs is None else specs)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in topics:
        channel_id = _identifier(spec.name)
        message_id = spec.value_model.__name__
        messages[message_id] = _message(spec)
        channels[channel_id] = {
            "address": spec.name,
            "title": spec.name,
            "description": spec.description,
            "messages": {message_id: {"$ref": f"#/components/messages/{message_id}"}},
            "bindings": _channel_bindings(spec),
        }
        writer = _service_label(spec.writer)
        operations[_identifier(f"{writer}_send_{spec.name}")] = _operation(
            "send", spec, f"{writer} writes {spec.name}", _writer_summary(spec.writer)
        )
        for reader in DEFAULT_READERS.get(spec.name, ()):
            operations[_identifier(f"{reader}_receive_{spec.name}")] = _operation(
                "receive",
                spec,
                f"{reader} reads {spec.name}",
                "Reader in the default chain; the order of the stages is configuration.",
            )
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Loan pre-screening events",
            "version": EVENTS_API_VERSION,
            "description": (
                "Kafka topics of the loan pre-screening platform. Each event is keyed by the "
                "application id, carries CloudEvents attributes as headers and a JSON value that "
                "validates against the JSON Schema beside this file."
            ),
            "license": {
                "name": "Apache-2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0",
            },
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": LOCAL_BOOTSTRAP,
                "protocol": "kafka",
                "description": "Placeholder for the bootstrap servers of the target cluster.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render_asyncapi(specs: Iterable[TopicSpec[Any]] | None = None) -> str:
    return yaml.safe_dump(
        asyncapi_document(specs),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


class _NotForServing:
    """Stands in for a runtime part of an app that is built only to describe itself.

    Building the OpenAPI document never touches the parts; any use is a bug and fails loudly.
    """

    def __init__(self, part: str) -> None:
        self._part = part

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"{self._part}.{name} used by an app built only for its OpenAPI")


def ingest_openapi_document() -> dict[str, Any]:
    """The OpenAPI document the ingest HTTP service serves at ``/openapi.json``.

    The app is assembled by the same ``create_app`` as in production, with placeholders for
    Kafka, Redis, the document store and the credentials: nothing is configured, connected or
    started, so exporting needs no running services and no secrets.
    """
    # Imported here: the contracts in this package must stay importable without the services.
    from services.common.http.auth import Authenticator
    from services.common.http.idempotency import IdempotencyStore
    from services.common.http.ratelimit import RateLimiter
    from services.ingest.http.app import create_app
    from services.ingest.http.deps import IngestDependencies

    app = create_app(
        cast(IngestDependencies, _NotForServing("dependencies")),
        authenticator=cast(Authenticator, _NotForServing("authenticator")),
        limiter=cast(RateLimiter, _NotForServing("limiter")),
        idempotency=cast(IdempotencyStore, _NotForServing("idempotency")),
    )
    return app.openapi()


def render_openapi() -> str:
    return _dump_json(ingest_openapi_document())


def render_all() -> dict[str, str]:
    """File name -> content of every exported file."""
    files = {schema_file_name(spec): render_topic_schema(spec) for spec in Topics.all()}
    files[ASYNCAPI_FILE] = render_asyncapi()
    files[OPENAPI_FILE] = render_openapi()
    return files


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    changed: bool


def export_schemas(out_dir: Path) -> list[ExportedFile]:
    """Write every exported file into ``out_dir``; unchanged files are left untouched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[ExportedFile] = []
    for name, content in render_all().items():
        path = out_dir / name
        data = content.encode("utf-8")
        changed = not path.is_file() or path.read_bytes() != data
        if changed:
            path.write_bytes(data)
        written.append(ExportedFile(path=path, changed=changed))
    return written


@dataclass
class SchemaCheckReport:
    """Result of comparing a directory of committed schemas with the current models."""

    directory: Path
    stale: list[str] = field(default_factory=list)
    breaking: dict[str, list[str]] = field(default_factory=dict)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.stale and not self.breaking

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "directory": str(self.directory),
            "checked": self.checked,
            "stale": list(self.stale),
            "breaking": {name: list(problems) for name, problems in self.breaking.items()},
        }


def _committed_schema(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def check_schemas(directory: Path) -> SchemaCheckReport:
    """Compare ``directory`` with a fresh export: staleness and backward compatibility.

    Stale: a file is missing, differs from the fresh export, or belongs to no registered topic
    (``openapi.json``, the ingest HTTP API, is compared byte for byte like the others).
    Breaking: the current model of a topic cannot read every event its committed schema allows.
    """
    report = SchemaCheckReport(directory=directory)
    expected = render_all()
    for name, content in expected.items():
        path = directory / name
        report.checked += 1
        if not path.is_file():
            report.stale.append(f"{name}: missing")
        elif path.read_bytes() != content.encode("utf-8"):
            report.stale.append(f"{name}: differs from the current models")
    registered = {schema_file_name(spec) for spec in Topics.all()} | {OPENAPI_FILE}
    if directory.is_dir():
        for path in sorted(directory.glob("*.json")):
            if path.name not in registered:
                report.stale.append(f"{path.name}: no registered topic has this schema")
                report.breaking[path.name] = ["topic removed from the registry"]
    for spec in Topics.all():
        path = directory / schema_file_name(spec)
        if not path.is_file():
            continue
        committed = _committed_schema(path)
        if committed is None:
            report.breaking[spec.name] = [f"{path.name} is not a JSON object; cannot compare"]
            continue
        problems = check_backward_compatible(committed, topic_schema(spec))
        if problems:
            report.breaking[spec.name] = problems
    return report
