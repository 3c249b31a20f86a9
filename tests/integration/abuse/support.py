"""What the abuse tests assert after every hostile input: the answer, the log, what was written."""

from __future__ import annotations

import io
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import jwt
import redis
from confluent_kafka import Consumer, TopicPartition
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.contracts import PERSONAL_SEALED_FIELD, ApplicationReceived, PersonalDetails
from services.common.http.errors import PROBLEM_JSON
from tests.integration.abuse.corpus import FORGED_MESSAGE, leaks
from tests.unit.contracts import samples
from tests.unit.http.support import claims

API_KEYS: Final = {"bank-a": "abuse-key-a-" + "q" * 32, "bank-b": "abuse-key-b-" + "w" * 32}
CLIENT_SCOPES: Final = ("applications:write", "applications:read", "documents:write")
JWT_CLIENT: Final = "bank-jwt"

Record = tuple[bytes | None, bytes | None, dict[str, bytes]]


def api_key(client: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": API_KEYS[client], **extra}


@dataclass(frozen=True)
class JwtKeys:
    trusted: rsa.RSAPrivateKey
    untrusted: rsa.RSAPrivateKey

    @property
    def trusted_public_pem(self) -> str:
        return (
            self.trusted.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def token(self, *, key: Any = None, algorithm: str = "RS256", **overrides: Any) -> str:
        """A token for ``JWT_CLIENT`` with every scope, signed by the trusted key by default."""
        values: dict[str, Any] = {"client_id": JWT_CLIENT, "scope": " ".join(CLIENT_SCOPES)}
        values.update(overrides)
        return jwt.encode(claims(**values), key or self.trusted, algorithm=algorithm)


@dataclass(frozen=True)
class Written:
    """How much the app had written: records on the received topic and status entries."""

    received: int
    statuses: int


@dataclass
class AbuseApi:
    client: TestClient
    app: FastAPI
    bootstrap: str
    received_topic: str
    uploads_topic: str
    redis: redis.Redis
    status_pattern: str
    max_body_bytes: int
    _watermarks: Consumer | None = field(default=None, repr=False)

    def high_watermark(self, topic: str) -> int:
        if self._watermarks is None:
            self._watermarks = Consumer(
                {"bootstrap.servers": self.bootstrap, "group.id": f"abuse-{uuid.uuid4().hex}"}
            )
        _, high = self._watermarks.get_watermark_offsets(
            TopicPartition(topic, 0), timeout=10, cached=False
        )
        return int(high)

    def written(self) -> Written:
        statuses = sum(1 for _ in self.redis.scan_iter(match=self.status_pattern, count=1000))
        return Written(received=self.high_watermark(self.received_topic), statuses=statuses)

    def received_since(self, before: Written) -> list[Record]:
        """The records the app added to the received topic since ``before``."""
        return read_range(self.bootstrap, self.received_topic, before.received, self.written())

    def close(self) -> None:
        if self._watermarks is not None:
            self._watermarks.close()


def read_range(bootstrap: str, topic: str, start: int, now: Written | int) -> list[Record]:
    end = now.received if isinstance(now, Written) else now
    if end <= start:
        return []
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"abuse-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, start)])
    records: list[Record] = []
    deadline = time.monotonic() + 20
    try:
        while len(records) < end - start and time.monotonic() < deadline:
            for message in consumer.consume(100, 0.2):
                if message.error() is None and (message.offset() or 0) < end:
                    raw = message.headers() or []
                    pairs = raw.items() if isinstance(raw, dict) else raw
                    headers = {k: v for k, v in pairs if isinstance(v, bytes)}
                    records.append((message.key(), message.value(), headers))
    finally:
        consumer.close()
    assert len(records) == end - start, f"read {len(records)} of {end - start} records"
    return records


def record_text(record: Record) -> str:
    key, value, headers = record
    parts = [key or b"", value or b""]
    parts += [name.encode() + b"=" + header for name, header in headers.items()]
    return b"\n".join(parts).decode("utf-8", errors="replace")


class LogTap:
    """The captured JSON log; ``mark`` before an action, ``lines_since`` after it."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._buffer = buffer

    def mark(self) -> int:
        return len(self._buffer.getvalue())

    def lines_since(self, mark: int) -> list[str]:
        return self._buffer.getvalue()[mark:].splitlines()

    def everything(self) -> list[str]:
        return self._buffer.getvalue().splitlines()


def assert_clean_log(lines: list[str]) -> None:
    """Every line is one JSON record (nothing forged in between), without personal data."""
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"a log line that is not a JSON record: {line[:300]!r}") from None
        assert isinstance(entry, dict) and {"level", "message"} <= entry.keys(), line[:300]
        assert entry["message"] != FORGED_MESSAGE, line[:300]
        assert leaks(line) == [], line[:300]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """A problem+json answer with ``status`` and no personal data in body or headers."""
    assert response.status_code == status, response.text[:1000]
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] and body["title"], body
    assert_no_leak_in(response)
    return body


def assert_no_leak_in(response: httpx.Response) -> None:
    everything = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    assert leaks(everything) == [], everything[:1000]
    assert "x-injected" not in {name.lower() for name in response.headers}
    assert "set-cookie" not in {name.lower() for name in response.headers}


def assert_nothing_written(api: AbuseApi, before: Written) -> None:
    """No received event and no status entry: a refused request leaves no half application."""
    assert api.written() == before


def opened_personal(event: ApplicationReceived) -> PersonalDetails:
    return samples.field_cipher().open_model(
        event.application.identity.personal_sealed,
        PersonalDetails,
        application_id=event.application_id,
        field=PERSONAL_SEALED_FIELD,
    )


def value_at(model: Any, path: str) -> Any:
    for part in path.split("."):
        model = getattr(model, part)
    return model
