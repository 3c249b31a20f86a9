from __future__ import annotations

import pytest

from tests.unit.http.support import Keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture(autouse=True)
def no_http_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in these tests come from arguments, never from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith(("PRESCREEN_HTTP_", "PRESCREEN_TESTSVC_")):
            monkeypatch.delenv(name)
