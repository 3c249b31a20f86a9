"""pytest plugin: a real local S3 server (moto's standalone server) for tests that store documents.

The server runs as a child process on a free loopback port for the session and is stopped by
its pid at the end. boto3 is pointed at it with throwaway credentials and never sees a real
account or the instance metadata service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import httpx
import pytest
from botocore.config import Config

from services.common.docstore import DocumentStoreSettings, S3DocumentStore, build_store
from services.common.infra.ports import LOOPBACK, free_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_START_TIMEOUT_S = 30.0
_REGION = "us-east-1"
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"local S3 server exited with {process.returncode}:\n{log.read_text()[-2000:]}",
                pytrace=False,
            )
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"local S3 server did not answer at {url} within {_START_TIMEOUT_S} s", False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a moto S3 server running for the session."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(_CREDENTIALS, AWS_DEFAULT_REGION=_REGION)
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter running moto
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_answering(process, endpoint + "/moto-api/", log)
        yield endpoint
    finally:
        _stop(process)


@pytest.fixture
def isolated_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("AWS_", "PRESCREEN_DOCSTORE_")):
            monkeypatch.delenv(name)
    for name, value in _CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


@pytest.fixture
def s3_client(s3_endpoint: str, isolated_aws: None) -> S3Client:
    """A boto3 S3 client for the local server, for setting up and inspecting buckets."""
    return boto3.session.Session().client(
        "s3",
        region_name=_REGION,
        endpoint_url=s3_endpoint,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    """A fresh, empty bucket."""
    name = f"docs-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def docstore_settings(s3_endpoint: str, bucket: str) -> DocumentStoreSettings:
    """Settings for an S3 document store on the local server, as a deployment would set them."""
    return DocumentStoreSettings(
        backend="s3",
        bucket=bucket,
        prefix="documents",
        region=_REGION,
        endpoint_url=s3_endpoint,
        addressing_style="path",
        max_attempts=1,
    )


@pytest.fixture
def s3_store(docstore_settings: DocumentStoreSettings) -> S3DocumentStore:
    store = build_store(docstore_settings)
    assert isinstance(store, S3DocumentStore)
    return store
