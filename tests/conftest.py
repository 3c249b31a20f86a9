"""Shared test configuration: Kafka/Redis fixtures, and a local S3 server for document tests."""

pytest_plugins = ["services.common.testing.fixtures", "services.common.testing.s3"]
