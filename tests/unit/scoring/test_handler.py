"""The scoring handler without a broker: a tiny real model, the real policy, fake files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import orjson
import pytest
from numpy.typing import NDArray

from services.common.contracts import EarlyOutcome, FraudScreened, Reason, Scored, Topics
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS
from services.common.runtime import Emit, Envelope
from services.common.testing.envelopes import case_envelope
from services.scoring.bureau import CreditReport, InternalRelationship
from services.scoring.data.generator import generate
from services.scoring.handler import NO_CONSENT, ScoringHandler
from services.scoring.metrics import ScoringMetrics
from services.scoring.policy import CreditPolicy
from services.scoring.training.artifact import LoadedModel, load_artifact, write_artifact
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import Calibration, train
from tests.unit.contracts import samples

T = TypeVar("T")


class FakeBureau:
    """Answers every pull with the same report and remembers who was pulled."""

    def __init__(self, score: int, *, months_since_bankruptcy: int | None = None) -> None:
        self.score = score
        self.months_since_bankruptcy = months_since_bankruptcy
        self.calls: list[tuple[str, str]] = []

    def pull(self, ssn_token: str, *, permissible_purpose: str) -> CreditReport:
        self.calls.append((ssn_token, permissible_purpose))
        bankrupt = self.months_since_bankruptcy is not None
        return CreditReport(
            report_id="fake-1",
            bureau="fake",
            pulled_at=samples.RECEIVED_AT,
            credit_score=self.score,
            revolving_utilization=0.2,
            inquiries_6m=0,
            inquiries_12m=1,
            delinquencies_30d_24m=0,
            delinquencies_60d_24m=0,
            delinquencies_90d_plus_24m=0,
            public_records=1 if bankrupt else 0,
            months_since_bankruptcy=self.months_since_bankruptcy,
            oldest_tradeline_months=120,
            total_monthly_debt=700.0,
        )


class FakeInternalData:
    def relationship(self, customer_id: str) -> InternalRelationship:
        return InternalRelationship(
            loan_count=1,
            internal_exposure=4200.0,
            monthly_payments=150.0,
            worst_days_past_due_24m=0,
            months_as_customer=48,
            closed_loan_count=0,
        )


class RunNow:
    """Stands in for Once: no Redis in a unit test. Remembers the keys it was given."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.workers: list[int] = []

    def many(self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1) -> list[T]:
        self.keys.extend(key for key, _ in calls)
        self.workers.append(workers)
        return [fn() for _, fn in calls]


class StoringOnce:
    """Stands in for Once with its contract: the first call runs and its JSON-serialised result
    is kept; later calls with the key get the stored JSON back, as after a crash and replay."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def many(self, calls: Sequence[tuple[str, Callable[[], T]]], *, workers: int = 1) -> list[T]:
        results = []
        for key, fn in calls:
            if key in self.stored:
                results.append(orjson.loads(self.stored[key]))
            else:
                value = fn()
                self.stored[key] = orjson.dumps(value)
                results.append(value)
        return results


def tiny_model(directory: Path) -> LoadedModel:
    """A logistic model trained on 2,000 generated rows, written and loaded back."""
    generated = generate(2000, seed=1)
    table = {**generated.columns, "defaulted": generated.defaulted}
    result = train(
        load_spec(builtin_spec("loan-default")), table, folds=2, candidates=("logistic",)
    )
    return load_artifact(write_artifact(result, directory))


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def policy() -> CreditPolicy:
    return CreditPolicy()


def pinned(model: LoadedModel, probability: float) -> LoadedModel:
    """The same model with every score calibrated to ``probability``, to land in one band."""
    calibration = Calibration(raw=(0.0, 1.0), calibrated=(probability, probability))
    return dataclasses.replace(model, calibration=calibration)


def handler(
    model: LoadedModel, policy: CreditPolicy, bureau: FakeBureau | None = None
) -> ScoringHandler:
    return ScoringHandler(
        bureau=bureau or FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
        model=model,
        policy=policy,
        stage_version="test",
    )


def case(
    *, debt_to_income: float = 10.0, application_id: UUID = samples.APPLICATION_ID, **consent: Any
) -> FraudScreened:
    """The sample case with a stated DTI low enough to pass the knock-outs by default."""
    sample = samples.fraud_screened()
    application = sample.application
    financials = application.financials.model_copy(update={"debt_to_income_ratio": debt_to_income})
    credit_check = application.consents.credit_check.model_copy(update=consent)
    consents = application.consents.model_copy(update={"credit_check": credit_check})
    updated = application.model_copy(update={"financials": financials, "consents": consents})
    return sample.model_copy(update={"application": updated, "application_id": application_id})


def envelope(value: FraudScreened, offset: int = 0) -> Envelope[Any]:
    return case_envelope(Topics.FRAUD_SCREENED, value, offset)


def scored(results: list[Emit]) -> Iterator[Scored]:
    for result in results:
        assert isinstance(result, Emit) and result.topic is Topics.SCORED
        assert isinstance(result.value, Scored)
        yield result.value


def test_a_knock_out_rejects_with_the_knock_out_reason_first(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    # A stated DTI of 40 % plus the car loan's payment is above the 40 % cap.
    [event] = scored(handler(model, policy)([envelope(case(debt_to_income=40.24))]))
    assert event.scoring.status == "reject"
    assert event.scoring.reasons[0].code == "KO_DTI_ABOVE_CAP"
    assert event.scoring.policy_rule_ids[0] == "KO-03"
    assert event.scoring.improvement_tips == ()  # a knock-out states its own condition
    assert event.early_outcome is not None
    assert event.early_outcome.outcome == "reject"
    assert event.early_outcome.stage == "scoring"
    assert event.early_outcome.reasons == event.scoring.reasons


def test_a_recent_bankruptcy_on_the_file_knocks_out(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    bureau = FakeBureau(800, months_since_bankruptcy=12)
    [event] = scored(handler(model, policy, bureau)([envelope(case())]))
    assert event.scoring.status == "reject"
    assert event.scoring.reasons[0].code == "KO_RECENT_BANKRUPTCY"


def test_a_strong_applicant_passes_with_the_bureau_figures(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    [event] = scored(handler(model, policy)([envelope(case())]))
    result = event.scoring
    assert result.status == "pass"
    assert event.early_outcome is None
    assert result.reasons == () and result.improvement_tips == ()
    assert result.risk_grade in {"A", "B", "C"}
    assert result.probability_of_default is not None and result.probability_of_default < 0.12
    assert result.bureau_credit_score == 800
    assert result.internal_exposure == 4200.0
    assert result.verified_debt_to_income_ratio == round(700 / (70000.0 / 12) * 100, 2)
    assert result.model_version == model.version
    assert result.stage_version == f"test+policy.{policy.version}"
    assert result.policy_rule_ids[-1].startswith("GR-")
    assert event.fraud == samples.fraud_result()  # earlier sections travel on


def test_the_refer_band_refers_with_model_reasons(model: LoadedModel, policy: CreditPolicy) -> None:
    [event] = scored(handler(pinned(model, 0.15), policy)([envelope(case())]))
    assert event.scoring.status == "refer"
    assert event.scoring.risk_grade == "D"
    assert 1 <= len(event.scoring.reasons) <= MAX_PRINCIPAL_REASONS
    assert not any(reason.code.startswith("KO_") for reason in event.scoring.reasons)
    assert event.early_outcome is not None and event.early_outcome.outcome == "refer"


def test_a_decline_grade_rejects(model: LoadedModel, policy: CreditPolicy) -> None:
    [event] = scored(handler(pinned(model, 0.5), policy)([envelope(case())]))
    assert (event.scoring.status, event.scoring.risk_grade) == ("reject", "E")
    assert event.early_outcome is not None and event.early_outcome.outcome == "reject"


def test_tips_are_offered_for_a_refused_grade(model: LoadedModel, policy: CreditPolicy) -> None:
    # Score 600 is the car minimum: no knock-out, but the model grades the file refer.
    [event] = scored(handler(model, policy, FakeBureau(600))([envelope(case())]))
    assert event.scoring.status in {"refer", "reject"}
    assert event.scoring.improvement_tips
    assert all(tip for tip in event.scoring.improvement_tips)


def test_at_most_four_reasons_knock_outs_first(model: LoadedModel, policy: CreditPolicy) -> None:
    bureau = FakeBureau(550, months_since_bankruptcy=6)
    run = handler(pinned(model, 0.5), policy, bureau)
    [event] = scored(run([envelope(case(debt_to_income=45.0))]))
    codes = [reason.code for reason in event.scoring.reasons]
    assert len(codes) == MAX_PRINCIPAL_REASONS
    assert codes[:3] == ["KO_SCORE_BELOW_MINIMUM", "KO_DTI_ABOVE_CAP", "KO_RECENT_BANKRUPTCY"]
    assert event.early_outcome is not None
    assert len(event.early_outcome.reasons) == MAX_PRINCIPAL_REASONS


def test_an_application_already_ended_is_skipped_without_a_pull(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    ended = EarlyOutcome(
        outcome="refer",
        stage="fraud",
        reasons=(Reason(code="WATCHLIST_MATCH", description="Possible watch-list match."),),
        decided_at=samples.RECEIVED_AT + timedelta(seconds=6),
    )
    bureau = FakeBureau(800)
    skipped = case().model_copy(update={"early_outcome": ended})
    [event] = scored(handler(model, policy, bureau)([envelope(skipped)]))
    assert event.scoring.status == "skipped"
    assert event.early_outcome == ended
    assert bureau.calls == []


def test_without_credit_check_consent_it_refers_without_a_pull(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    bureau = FakeBureau(800)
    [event] = scored(handler(model, policy, bureau)([envelope(case(granted=False))]))
    assert event.scoring.status == "refer"
    assert event.scoring.reasons == (NO_CONSENT,)
    assert event.early_outcome is not None and event.early_outcome.reasons == (NO_CONSENT,)
    assert bureau.calls == []


def test_a_replay_reuses_the_stored_files_and_decides_the_same(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    bureau = FakeBureau(640)
    run = ScoringHandler(
        bureau=bureau,
        internal_data=FakeInternalData(),
        once=StoringOnce(),
        model=pinned(model, 0.15),
        policy=policy,
        stage_version="test",
    )
    [first] = scored(run([envelope(case())]))
    [replayed] = scored(run([envelope(case())]))
    assert len(bureau.calls) == 1  # one hard inquiry, however often the event is handled
    assert replayed.scoring.status == "refer"  # a decision that states reasons
    when = {"completed_at"}
    assert replayed.scoring.model_dump(exclude=when) == first.scoring.model_dump(exclude=when)


def test_the_pull_uses_the_consented_purpose(model: LoadedModel, policy: CreditPolicy) -> None:
    bureau = FakeBureau(800)
    handler(model, policy, bureau)([envelope(case())])
    token = samples.fraud_screened().application.identity.ssn_token
    assert bureau.calls == [(token, "credit_transaction")]


def test_a_batch_is_scored_in_one_model_call(
    model: LoadedModel, policy: CreditPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows_per_call: list[int] = []
    score = LoadedModel.probability_of_default

    def counting(self: LoadedModel, table: dict[str, NDArray[Any]]) -> Any:
        rows_per_call.append(len(next(iter(table.values()))))
        return score(self, table)

    monkeypatch.setattr(LoadedModel, "probability_of_default", counting)
    ended = EarlyOutcome(
        outcome="reject",
        stage="documents",
        reasons=(Reason(code="ID_UNCLEAR", description="The ID could not be read."),),
        decided_at=samples.RECEIVED_AT,
    )
    batch = [
        case(application_id=UUID(int=1)),
        case(application_id=UUID(int=2)),
        case(application_id=UUID(int=3), debt_to_income=45.0),
        case(application_id=UUID(int=4), granted=False),
        case(application_id=UUID(int=5)).model_copy(update={"early_outcome": ended}),
    ]
    results = handler(model, policy)([envelope(c, i) for i, c in enumerate(batch)])
    events = list(scored(results))
    assert [e.application_id for e in events] == [c.application_id for c in batch]
    assert [e.scoring.status for e in events] == ["pass", "pass", "reject", "refer", "skipped"]
    assert rows_per_call == [3]  # the three with a credit file, together


def test_a_model_without_exact_contributions_is_refused(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    with pytest.raises(ValueError, match="exact contributions"):
        handler(dataclasses.replace(model, kind="random_forest"), policy)


def test_marital_status_changes_nothing(model: LoadedModel, policy: CreditPolicy) -> None:
    outcomes = []
    for status in ("Single", "Married", "Divorced", "Widowed"):
        applicant = case()
        household = applicant.application.household.model_copy(update={"marital_status": status})
        application = applicant.application.model_copy(update={"household": household})
        run = handler(model, policy, FakeBureau(600))
        [event] = scored(run([envelope(applicant.model_copy(update={"application": application}))]))
        outcomes.append(event.scoring.model_dump(exclude={"completed_at"}))
    assert all(outcome == outcomes[0] for outcome in outcomes)


# -- shadow challenger, alternatives, mismatches, metrics ---------------------------------------


def test_a_challenger_is_recorded_and_never_decides(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    metrics = ScoringMetrics()
    champion, challenger = pinned(model, 0.01), pinned(model, 0.5)
    run = ScoringHandler(
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
        model=champion,
        challenger=dataclasses.replace(challenger, version="challenger1"),
        policy=policy,
        stage_version="test",
        metrics=metrics,
    )
    [event] = scored(run([envelope(case())]))
    assert (event.scoring.status, event.scoring.risk_grade) == ("pass", "A")
    assert event.scoring.challenger is not None
    assert event.scoring.challenger.model_version == "challenger1"
    assert event.scoring.challenger.risk_grade == "E"
    assert event.scoring.challenger.probability_of_default == 0.5
    assert event.scoring.model_version == champion.version
    sample = metrics.registry.get_sample_value(
        "prescreen_scoring_challenger_grades_total",
        {"champion_grade": "A", "challenger_grade": "E"},
    )
    assert sample == 1.0


def test_a_failing_challenger_leaves_the_champion_deciding(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    metrics = ScoringMetrics()

    def fail(table: Any) -> NDArray[Any]:
        raise RuntimeError("challenger broke")

    broken = dataclasses.replace(model, version="broken1")
    object.__setattr__(broken, "probability_of_default", fail)
    run = ScoringHandler(
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
        model=model,
        challenger=broken,
        policy=policy,
        stage_version="test",
        metrics=metrics,
    )
    [event] = scored(run([envelope(case())]))
    assert event.scoring.status == "pass" and event.scoring.challenger is None
    assert metrics.registry.get_sample_value("prescreen_scoring_challenger_failures_total") == 1


def test_stated_figures_the_bureau_contradicts_are_flagged_in_buckets(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    # The sample states a 693 score and five loans; the fake file has 800 and no loans.
    [event] = scored(handler(model, policy, FakeBureau(800))([envelope(case())]))
    flagged = {m.field.value: m for m in event.scoring.bureau_mismatches}
    assert set(flagged) == {"credit_score", "existing_loans"}
    score = flagged["credit_score"]
    assert (score.stated_bucket, score.bureau_bucket, score.severity) == (
        "670-739",
        "800-850",
        "low",  # understating costs only the applicant
    )


def test_outcomes_are_counted_by_status_and_grade(model: LoadedModel, policy: CreditPolicy) -> None:
    metrics = ScoringMetrics()
    run = ScoringHandler(
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=RunNow(),
        model=pinned(model, 0.5),
        policy=policy,
        stage_version="test",
        metrics=metrics,
    )
    run([envelope(case(), 0), envelope(case(application_id=UUID(int=7)), 1)])
    value = metrics.registry.get_sample_value(
        "prescreen_scoring_applications_total", {"status": "reject", "grade": "E"}
    )
    assert value == 2.0
    assert (
        metrics.registry.get_sample_value(
            "prescreen_scoring_model_info", {"role": "champion", "version": model.version}
        )
        == 1.0
    )


def test_bureau_pulls_run_with_the_configured_concurrency(
    model: LoadedModel, policy: CreditPolicy
) -> None:
    once = RunNow()
    run = ScoringHandler(
        bureau=FakeBureau(800),
        internal_data=FakeInternalData(),
        once=once,
        model=model,
        policy=policy,
        stage_version="test",
        bureau_concurrency=8,
    )
    run([envelope(case())])
    assert once.workers == [8]
    assert once.keys == [f"credit-files:{samples.APPLICATION_ID}"]
