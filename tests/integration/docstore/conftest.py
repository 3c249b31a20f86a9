"""The document store tests run against the shared local S3 server (services.common.testing.s3)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _aws_isolated(isolated_aws: None) -> None:
    """Every test here runs with throwaway credentials and no real AWS configuration."""
