"""One ingest app, one captured log and the JWT keys shared by every abuse test.

The app is built once for the package (``build_app`` on the session's Kafka and Redis, as in
``tests/integration/ingest/conftest.py``) with API keys for two banks, an RS256 public key and a
development HS256 secret, private topics and a private Redis prefix, so the suite can count
exactly what each hostile request wrote.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from services.common.contracts.registry import Topics
from services.common.docstore.settings import DocumentStoreSettings
from services.common.http.auth_settings import api_key_hash
from services.common.logs import configure_logging
from services.common.settings import KafkaSettings, RedisSettings
from services.common.testing.names import unique_resource_name
from services.ingest.app import IngestHttpSettings, build_app
from services.ingest.http.deps import STATE_ATTRIBUTE
from services.ingest.settings import IngestSettings
from tests.integration.abuse.corpus import leaks
from tests.integration.abuse.support import (
    API_KEYS,
    CLIENT_SCOPES,
    JWT_CLIENT,
    AbuseApi,
    JwtKeys,
    LogTap,
    assert_clean_log,
    read_range,
    record_text,
)
from tests.integration.runtime.support import make_topics
from tests.unit.contracts import samples
from tests.unit.http.support import AUDIENCE, HS256_SECRET, ISSUER


@pytest.fixture(scope="package")
def jwt_keys() -> JwtKeys:
    """The configured RS256 key and one that is not configured (it signs forgeries)."""
    return JwtKeys(
        trusted=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        untrusted=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="package")
def abuse_logs() -> Iterator[LogTap]:
    """The service's JSON logging at DEBUG, unredacted, in memory, for the whole package.

    Without redaction a leak is the code's own; ``configure_logging``'s masking is only a
    safety net and must not hide one here.
    """
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    # The test client's own request log is not the service's.
    client_log = logging.getLogger("httpx")
    saved_client_level = client_log.level
    client_log.setLevel(logging.WARNING)
    buffer = io.StringIO()
    configure_logging("ingest", "DEBUG", redact_pii=False)
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield LogTap(buffer)
    finally:
        # pytest's per-phase capture handlers come and go on their own; keep only the rest.
        root.handlers[:] = [h for h in saved_handlers if type(h).__module__ != "_pytest.logging"]
        root.setLevel(saved_level)
        client_log.setLevel(saved_client_level)


@pytest.fixture(scope="package")
def abuse_api(
    kafka_bootstrap: str,
    redis_url: str,
    jwt_keys: JwtKeys,
    abuse_logs: LogTap,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AbuseApi]:
    """The ingest app on private topics and a private Redis prefix, driven in process."""
    received = f"{unique_resource_name('abuse', 'received')}.received"
    uploads = f"{received}.uploads"
    make_topics(kafka_bootstrap, received, uploads, partitions=1)
    clients = {
        client: {"sha256": api_key_hash(key), "scopes": list(CLIENT_SCOPES)}
        for client, key in API_KEYS.items()
    }
    generous = {"per_s": 100_000, "burst": 100_000}
    key_prefix = f"abuse{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRESCREEN_INGEST_API_KEYS", json.dumps(clients))
        env.setenv(
            "PRESCREEN_INGEST_RATE_LIMIT_OVERRIDES",
            json.dumps({client: generous for client in [*API_KEYS, JWT_CLIENT]}),
        )
        env.setenv("PRESCREEN_INGEST_JWT_ISSUER", ISSUER)
        env.setenv("PRESCREEN_INGEST_JWT_AUDIENCE", AUDIENCE)
        env.setenv("PRESCREEN_INGEST_JWT_ALGORITHMS", "RS256,HS256")
        env.setenv("PRESCREEN_INGEST_JWT_PUBLIC_KEYS", jwt_keys.trusted_public_pem)
        env.setenv("PRESCREEN_INGEST_JWT_HS256_SECRET", HS256_SECRET)
        app = build_app(
            ingest=IngestSettings(
                ssn_token_key="t" * 40,
                pii_keys=samples.PII_KEYS_B64,
                pii_active_key_id=samples.PII_KEY_ID,
            ),
            http=IngestHttpSettings(long_poll_max_s=1),
            kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
            redis_settings=RedisSettings(url=redis_url, key_prefix=key_prefix),
            documents=DocumentStoreSettings(
                backend="local", local_root=Path(tmp_path_factory.mktemp("abuse-docs"))
            ),
        )
    deps = getattr(app.state, STATE_ATTRIBUTE)
    deps.received_topic = dataclasses.replace(Topics.RECEIVED, name=received)
    deps.uploads_topic = dataclasses.replace(Topics.DOCUMENTS_UPLOADED, name=uploads)
    status_client = redis.Redis.from_url(redis_url)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            api = AbuseApi(
                client=client,
                app=app,
                bootstrap=kafka_bootstrap,
                received_topic=received,
                uploads_topic=uploads,
                redis=status_client,
                status_pattern=f"{key_prefix}:status:*",
                max_body_bytes=deps.intake.max_body_bytes,
            )
            try:
                yield api
                _scan_everything(api, abuse_logs)
            finally:
                api.close()
    finally:
        status_client.close()


def _scan_everything(api: AbuseApi, logs: LogTap) -> None:
    """After the abuse: every record on the app's topics and every log line, once more."""
    for topic in (api.received_topic, api.uploads_topic):
        end = api.high_watermark(topic)
        for record in read_range(api.bootstrap, topic, 0, end):
            assert leaks(record_text(record)) == [], record_text(record)[:1000]
    assert_clean_log(logs.everything())
