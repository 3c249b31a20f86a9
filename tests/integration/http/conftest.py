from __future__ import annotations

import pytest

from tests.unit.http.support import Keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys.generate()
