"""The offers stage on a real broker and Redis: every decidable case becomes one decision on the
decision topic, exactly once, with its offers and narrative; a case waiting for documents none."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any
from uuid import UUID

import pytest

from services.common.contracts import EarlyOutcome, Reason, Scored, StageName, Topics
from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.common.runtime import RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.offers.app import build_handler
from services.offers.quotes.context import QuoteContextStore
from services.offers.settings import OffersSettings
from tests.integration.runtime.support import make_topics, produce, read_committed
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration


def case(number: int, **changes: Any) -> Scored:
    base = samples.scored()
    scoring = base.scoring.model_copy(
        update={"verified_debt_to_income_ratio": 10.0, **changes.pop("scoring", {})}
    )
    application = base.application
    if "employment_status" in changes or "loan" in changes:
        application = application.model_copy(
            update={
                "employment": application.employment.model_copy(
                    update={"employment_status": changes.pop("employment_status", "Employed")}
                ),
                "loan": application.loan.model_copy(update=changes.pop("loan", {})),
            }
        )
    return base.model_copy(
        update={
            "application_id": UUID(int=number),
            "application": application,
            "scoring": scoring,
            **changes,
        }
    )


def outcome(stage: StageName, kind: str, code: str) -> EarlyOutcome:
    return EarlyOutcome(
        outcome=kind,
        stage=stage,
        reasons=(Reason(code=code, description=f"{code.lower().replace('_', ' ')}."),),
        decided_at=samples.RECEIVED_AT,
    )


def test_scored_cases_become_one_decision_each(
    kafka_bootstrap: str, redis_url: str, unique_name: str
) -> None:
    source = dataclasses.replace(Topics.SCORED, name=f"{unique_name}.in")
    sink = dataclasses.replace(Topics.DECISIONS, name=f"{unique_name}.out")
    dlq = dataclasses.replace(Topics.DLQ, name=f"{unique_name}.dlq")
    make_topics(kafka_bootstrap, source.name, sink.name, dlq.name, partitions=2)
    approved = case(1)
    student = case(
        2,
        employment_status="Student",
        loan={"product": "Home", "amount": 120000.0, "term_years": 25.0},
        scoring={"status": "reject", "risk_grade": "A", "policy_rule_ids": ("KO-05", "GR-A")},
        early_outcome=outcome(StageName.SCORING, "reject", "KO_STUDENT_HOME_LOAN"),
    )
    fraud = case(3, early_outcome=outcome(StageName.FRAUD, "reject", "VELOCITY_DEVICE"))
    waiting = case(
        4, early_outcome=outcome(StageName.DOCUMENTS, "awaiting_documents", "DOCUMENTS_MISSING")
    )
    inputs = [approved, student, fraud, waiting]
    produce(
        kafka_bootstrap,
        source.name,
        [(str(c.application_id), c.model_dump_json().encode()) for c in inputs],
    )

    client = redis_client(RedisSettings(url=redis_url))
    runtime = StageRuntime(
        service="offers",
        stage=unique_name,
        inputs=[source],
        handler=build_handler(
            OffersSettings(offer_letter=True),
            client,
            RedisSettings(url=redis_url, key_prefix=unique_name),
            output=sink,
        ),
        kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap),
        redis_client=client,
        settings=RuntimeSettings(instance_id="t0"),
        dead_letters=dlq,
    )
    stats = runtime.run(max_events=len(inputs), timeout=60)
    assert (stats.consumed, stats.produced, stats.dead_lettered) == (4, 3, 0)

    records = read_committed(kafka_bootstrap, sink.name, expected=3, timeout_s=30, settle_s=3)
    decisions = {
        decision.application_id: decision
        for decision in (LoanDecision.model_validate_json(value or b"") for _, value, _ in records)
    }
    assert Counter(key for key, _, _ in records) == Counter(
        str(c.application_id).encode() for c in (approved, student, fraud)
    )
    assert decisions[approved.application_id].outcome is DecisionOutcome.APPROVED
    counter = decisions[student.application_id]
    assert counter.outcome is DecisionOutcome.COUNTER_OFFERED
    assert counter.offers[0].product == "Education"
    declined = decisions[fraud.application_id]
    assert declined.outcome is DecisionOutcome.DECLINED and declined.decided_by is StageName.FRAUD
    for decision in decisions.values():
        assert decision.narrative and decision.narrative_source == "template"
        assert decision.stage_timings_ms and decision.catalogue_version
    assert waiting.application_id not in decisions
    # What the quote API recomputes offers from, for the decisions with offers only.
    contexts = QuoteContextStore(client, prefix=unique_name)
    saved = contexts.get(str(approved.application_id))
    assert saved is not None and saved.risk_grade == approved.scoring.risk_grade
    assert contexts.get(str(student.application_id)) is not None
    assert contexts.get(str(fraud.application_id)) is None
