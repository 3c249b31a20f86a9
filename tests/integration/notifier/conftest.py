"""Fixtures of the notifier's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.notifier.receiver import LocalReceiver


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    server = LocalReceiver()
    try:
        yield server
    finally:
        server.close()
