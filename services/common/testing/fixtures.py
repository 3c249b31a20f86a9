"""pytest plugin: a Kafka broker and a Redis server for integration and end-to-end tests.

Registered by ``tests/conftest.py`` (``pytest_plugins = ["services.common.testing.fixtures"]``).

Session fixtures ``kafka_bootstrap`` and ``redis_url`` come from the environment, Docker or a
native local install, in that order (see ``services.common.testing.backends``); whatever the
session started, it stops at the end. If neither can be had, the tests using them fail with the
reason: an integration test never skips silently.

Tests that use these fixtures are marked ``integration`` automatically, so that
``-m "not integration"`` leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from services.common.infra import InfraError
from services.common.testing.backends import ProvidedService, provide_kafka, provide_redis
from services.common.testing.names import unique_resource_name

_INFRA_FIXTURES = frozenset({"kafka_bootstrap", "redis_url", "redis_client"})
_HELP = "Integration tests need {what}. Set {env}, or start a Docker engine, or {native}."
_provided: list[ProvidedService] = []


def _unavailable(what: str, env: str, native: str, exc: BaseException) -> str:
    return _HELP.format(what=what, env=env, native=native) + f"\n\nCause: {exc}"


def _session_service(
    provide: Callable[[Path], ProvidedService],
    directory: Path,
    *,
    what: str,
    env: str,
    native: str,
) -> Iterator[str]:
    """Provide one server for the session, failing (never skipping) with a way to get one."""
    problem: str | None = None
    try:
        service = provide(directory)
    except InfraError as exc:
        problem = _unavailable(what, env, native, exc)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    _provided.append(service)
    try:
        yield service.address
    finally:
        service.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a Kafka broker for the whole session (``host:port``)."""
    yield from _session_service(
        provide_kafka,
        tmp_path_factory.mktemp("kafka"),
        what="a Kafka broker",
        env="KAFKA_BOOTSTRAP_SERVERS",
        native="install Java 17+ and Maven, then run `prescreen infra install`",
    )


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis database for the whole session, which the tests may flush."""
    yield from _session_service(
        provide_redis,
        tmp_path_factory.mktemp("redis"),
        what="a Redis server",
        env="REDIS_URL",
        native="install Redis 7 (Debian/Ubuntu: apt-get install redis-server)",
    )


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the session's test database, emptied before and after each test.

    Replies are bytes (``decode_responses`` off), as for a default ``redis.Redis``.
    """
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name no other test (or earlier run) uses, e.g. ``t-roundtrip-1f3a9c0b``.

    Only ``[a-z0-9-]``: derive topic and group names from it (``f"{unique_name}.in"``).
    For several independent names in one test, call ``unique_resource_name``.
    """
    return unique_resource_name("t", request.node.name.removeprefix("test_"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Kafka or Redis fixtures as ``integration``."""
    for item in items:
        if _INFRA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where this session's Kafka and Redis came from and how long they took to start."""
    if not _provided:
        return
    terminalreporter.write_sep("-", "test infrastructure")
    for service in _provided:
        terminalreporter.write_line(
            f"{service.kind}: {service.source} at {service.address} "
            f"(ready in {service.startup_seconds:.1f}s)"
        )
