"""The fraud handler without Kafka or Redis: the real lists, rules and identity checks, with
velocity and clearances faked (their Redis behaviour is tested on a real Redis)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest

from services.common.contracts import (
    DocumentsVerified,
    EarlyOutcome,
    FraudScreened,
    Reason,
    Topics,
)
from services.common.runtime import Emit
from services.fraud.allowlist import Clearance
from services.fraud.handler import FraudHandler
from services.fraud.metrics import FraudMetrics
from services.fraud.policy import FraudPolicy
from services.fraud.policy.codes import known_codes
from services.fraud.velocity import (
    DIMENSIONS,
    WINDOWS,
    VelocityCounts,
    VelocityInput,
    VelocityLimits,
    VelocitySignal,
    velocity_signals,
)
from services.fraud.watchlist.matcher import Watchlist
from tests.unit.contracts import samples
from tests.unit.fraud.stage_support import (
    SANCTIONED_DOB,
    SANCTIONED_NAME,
    WATCHLIST,
    case,
    envelope,
)


class FixedLists:
    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist

    def current(self) -> Watchlist:
        return self.watchlist


class CountingVelocity:
    """Counts applications per device in memory; the Redis tracker is tested against Redis."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def record_and_count(self, inputs: Sequence[VelocityInput]) -> list[VelocityCounts]:
        counts = []
        for item in inputs:
            device = item.device_id or ""
            self.seen[device] = self.seen.get(device, 0) + 1
            by_dimension = {d: {w: 1 for w in WINDOWS} for d in DIMENSIONS}
            by_dimension["device_id"] = {w: self.seen[device] for w in WINDOWS}
            counts.append(
                VelocityCounts(
                    by_dimension=by_dimension,
                    distinct_ssns_per_device_24h=1,
                    distinct_ssns_per_device_7d=1,
                    other_identities_for_ssn_7d=0,
                    identity_changed_for_ssn=False,
                )
            )
        return counts

    def signals(self, counts: VelocityCounts) -> tuple[VelocitySignal, ...]:
        return velocity_signals(counts, VelocityLimits())


class MemoryClearances:
    def __init__(self, cleared: dict[tuple[str, str], Clearance] | None = None) -> None:
        self.cleared = cleared or {}
        self.applied: list[tuple[str, str]] = []

    def lookup(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Clearance]:
        return {pair: self.cleared[pair] for pair in pairs if pair in self.cleared}

    def record_applied(self, application_id: str, clearance: Clearance) -> bool:
        self.applied.append((application_id, clearance.uid))
        return True


@pytest.fixture(scope="module")
def policy() -> FraudPolicy:
    return FraudPolicy(known_codes())


def handler(
    policy: FraudPolicy,
    clearances: MemoryClearances | None = None,
    metrics: FraudMetrics | None = None,
) -> FraudHandler:
    return FraudHandler(
        lists=FixedLists(Watchlist(WATCHLIST)),
        velocity=CountingVelocity(),
        clearances=clearances or MemoryClearances(),
        policy=policy,
        cipher=samples.field_cipher(),
        stage_version="test",
        metrics=metrics,
    )


def screened(results: list[Emit]) -> Iterator[FraudScreened]:
    for result in results:
        assert result.topic is Topics.FRAUD_SCREENED and isinstance(result.value, FraudScreened)
        yield result.value


def sanctioned(application_id: int = 1) -> DocumentsVerified:
    return case(application_id, name=SANCTIONED_NAME, date_of_birth=SANCTIONED_DOB, age=53)


def test_a_consistent_applicant_passes(policy: FraudPolicy) -> None:
    [event] = screened(handler(policy)([envelope(case(1))]))
    fraud = event.fraud
    assert (fraud.status, fraud.watchlist_band, fraud.fraud_score) == ("pass", "none", 0.0)
    assert fraud.reasons == () and event.early_outcome is None
    assert fraud.fraud_rule_ids == ("FO-PASS",)
    assert fraud.watchlist_version == Watchlist(WATCHLIST).version
    assert fraud.stage_version == f"test+rules.{policy.version}"


def test_a_sanctioned_applicant_is_referred_with_the_match_explained(
    policy: FraudPolicy,
) -> None:
    [event] = screened(handler(policy)([envelope(sanctioned())]))
    fraud = event.fraud
    assert fraud.status == "refer" and fraud.watchlist_band == "high"
    [match] = fraud.watchlist_matches
    assert (match.uid, match.band, match.cleared) == ("sdn:9001", "hit", None)
    assert match.parts and 0 < match.score <= 1
    assert fraud.reasons[0].code == "WATCHLIST_HIT"
    assert fraud.fraud_rule_ids == ("FR-01", "FO-HIT")
    assert event.early_outcome is not None and event.early_outcome.outcome == "refer"
    assert event.early_outcome.stage == "fraud"
    # The applicant's name is not on the event in clear.
    assert "Drobnev" not in event.model_dump_json() and "DROBNEV" not in event.model_dump_json()


def test_a_cleared_match_does_not_count_and_is_audited(policy: FraudPolicy) -> None:
    event_in = sanctioned()
    token = event_in.application.identity.ssn_token
    clearance = Clearance(
        ssn_token=token,
        uid="sdn:9001",
        cleared_by="analyst-7",
        cleared_at=datetime(2025, 1, 5, tzinfo=UTC),
        reason="Passport shows a different person",
        expires_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    clearances = MemoryClearances({(token, "sdn:9001"): clearance})
    [event] = screened(handler(policy, clearances)([envelope(event_in)]))
    fraud = event.fraud
    assert fraud.status == "pass" and fraud.watchlist_band == "none"
    [match] = fraud.watchlist_matches
    assert match.cleared is not None and match.cleared.cleared_by == "analyst-7"
    assert clearances.applied == [(str(event_in.application_id), "sdn:9001")]


def test_a_burst_from_one_device_is_referred(policy: FraudPolicy) -> None:
    metrics = FraudMetrics()
    run = handler(policy, metrics=metrics)
    events = list(screened(run([envelope(case(n, ssn=f"12345{n:04d}"), n) for n in range(1, 6)])))
    statuses = [event.fraud.status for event in events]
    assert statuses == ["pass", "pass", "pass", "refer", "refer"]  # the limit is 3 an hour
    assert events[3].fraud.reasons[0].code == "VELOCITY_DEVICE_1H"
    assert (
        metrics.registry.get_sample_value(
            "prescreen_fraud_applications_total", {"status": "refer", "watchlist_band": "none"}
        )
        == 2.0
    )


def test_an_application_already_ended_is_skipped(policy: FraudPolicy) -> None:
    ended = EarlyOutcome(
        outcome="awaiting_documents",
        stage="documents",
        reasons=(Reason(code="MISSING_W2", description="A W-2 is missing."),),
        decided_at=samples.RECEIVED_AT,
    )
    velocity = CountingVelocity()
    run = FraudHandler(
        lists=FixedLists(Watchlist(WATCHLIST)),
        velocity=velocity,
        clearances=MemoryClearances(),
        policy=policy,
        cipher=samples.field_cipher(),
        stage_version="test",
    )
    [event] = screened(run([envelope(case(1).model_copy(update={"early_outcome": ended}))]))
    assert event.fraud.status == "skipped" and event.early_outcome == ended
    assert velocity.seen == {}  # nothing recorded for an application that is not screened
