"""Shared test configuration: the Kafka/Redis fixtures for integration and e2e tests."""

pytest_plugins = ["services.common.testing.fixtures"]
