from __future__ import annotations

import pytest

from services.common.contracts import (
    ANY_WRITER,
    DEFAULT_READERS,
    ApplicationReceived,
    DeadLetter,
    LoanDecision,
    SubmittedApplication,
    Topics,
    TopicSpec,
)

EXPECTED_WRITERS = {
    "loan.applications.submitted.v1": "upstream",
    "loan.applications.received.v1": "ingest",
    "loan.applications.documents-uploaded.v1": "ingest",
    "loan.applications.documents-verified.v1": "documents",
    "loan.applications.fraud-screened.v1": "fraud",
    "loan.applications.scored.v1": "scoring",
    "loan.decisions.v1": "offers",
    "loan.notifier.webhook-retries.v1": "notifier",
    "loan.decision-stats.v1": "notifier",
    "loan.dlq.v1": "*",
}


def test_registry_lists_every_topic_with_its_writer() -> None:
    assert {spec.name: spec.writer for spec in Topics.all()} == EXPECTED_WRITERS
    assert ANY_WRITER == "*"


def test_all_returns_every_spec_declared_on_the_class() -> None:
    declared = [value for value in vars(Topics).values() if isinstance(value, TopicSpec)]
    assert set(map(id, declared)) == set(map(id, Topics.all()))


def test_topic_names_and_event_types_are_unique_and_versioned() -> None:
    specs = Topics.all()
    assert len({spec.name for spec in specs}) == len(specs)
    assert len({spec.ce_type for spec in specs}) == len(specs)
    for spec in specs:
        assert spec.name.endswith(".v1")
        assert spec.ce_type.startswith("com.loanprescreen.")
        assert spec.ce_type.endswith(".v1")
    assert Topics.RECEIVED.ce_type == "com.loanprescreen.application.received.v1"


def test_value_models() -> None:
    assert Topics.SUBMITTED.value_model is SubmittedApplication
    assert Topics.RECEIVED.value_model is ApplicationReceived
    assert Topics.DECISIONS.value_model is LoanDecision
    assert Topics.DLQ.value_model is DeadLetter


def test_by_name() -> None:
    assert Topics.by_name("loan.decisions.v1") is Topics.DECISIONS
    with pytest.raises(KeyError, match=r"loan\.dlq\.v1"):
        Topics.by_name("loan.decisions.v2")


def test_default_readers_only_name_registered_topics() -> None:
    assert set(DEFAULT_READERS) == {spec.name for spec in Topics.all()}
