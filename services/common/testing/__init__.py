"""Test support shared by the integration and end-to-end suites.

``services.common.testing.fixtures`` is a pytest plugin (registered in ``tests/conftest.py``)
providing ``kafka_bootstrap``, ``redis_url``, ``redis_client`` and ``unique_name``.
"""

from __future__ import annotations

from services.common.testing.names import unique_resource_name
from services.common.testing.topics import create_topics

__all__ = ["create_topics", "unique_resource_name"]
