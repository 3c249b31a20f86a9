from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import SecretStr

from services.common.contracts import FinancialProfile, PaymentHistory, PermissiblePurpose
from services.common.contracts.pii import tokenize_ssn
from services.scoring.bureau import (
    AnchorFacts,
    BureauMismatch,
    CreditBureau,
    CreditReport,
    InternalData,
    InvalidSsnTokenError,
    MismatchField,
    MismatchSeverity,
    NoPermissiblePurposeError,
    SimulatedBureau,
    SimulatedInternalData,
    Tradeline,
    TradelineKind,
    compare,
)
from tests.unit.contracts import samples

PURPOSE = PermissiblePurpose.CREDIT_TRANSACTION
PULLED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SAMPLE_SIZE = 5_000
TEST_SEED = "unit-tests"
ANCHORED_SAMPLE_SIZE = 2_000


def fixed_clock() -> datetime:
    return PULLED_AT


def token(number: int) -> str:
    """The ingest-style HMAC token of a made-up SSN."""
    return tokenize_ssn(SecretStr(f"{212_400_001 + number:09d}"), samples.TOKEN_KEY)


def bureau(*, seed: str = TEST_SEED) -> SimulatedBureau:
    return SimulatedBureau(seed=seed, clock=fixed_clock)


@pytest.fixture(scope="module")
def reports() -> list[CreditReport]:
    simulated = bureau()
    return [simulated.pull(token(n), permissible_purpose=PURPOSE) for n in range(SAMPLE_SIZE)]


def test_the_simulations_satisfy_the_ports() -> None:
    credit_bureau: CreditBureau = SimulatedBureau()
    internal_data: InternalData = SimulatedInternalData()
    assert credit_bureau.pull(token(0), permissible_purpose=PURPOSE).bureau == "simulated"
    assert internal_data.relationship("customer-1").months_as_customer >= 0


def test_the_same_token_always_gives_the_same_report() -> None:
    first = bureau().pull(token(1), permissible_purpose=PURPOSE)
    again = bureau().pull(token(1), permissible_purpose=PermissiblePurpose.CREDIT_TRANSACTION)
    assert first == again
    assert first.model_dump_json() == again.model_dump_json()


def test_the_real_clock_only_changes_when_the_report_was_pulled() -> None:
    live = SimulatedBureau(seed=TEST_SEED).pull(token(2), permissible_purpose=PURPOSE)
    fixed = bureau().pull(token(2), permissible_purpose=PURPOSE)
    assert live.model_copy(update={"pulled_at": PULLED_AT}) == fixed


def test_different_tokens_and_seeds_give_different_reports() -> None:
    def content(report: CreditReport) -> str:
        return report.model_dump_json(exclude={"report_id", "pulled_at"})

    many = [bureau().pull(token(n), permissible_purpose=PURPOSE) for n in range(50)]
    assert len({content(report) for report in many}) == len(many)
    assert len({report.report_id for report in many}) == len(many)
    reseeded = bureau(seed="another-demo").pull(token(0), permissible_purpose=PURPOSE)
    assert content(reseeded) != content(many[0])


def test_scores_center_near_690_with_a_realistic_spread(reports: list[CreditReport]) -> None:
    scores = np.array([report.credit_score for report in reports])
    assert 670 <= scores.mean() <= 710
    assert 55 <= scores.std() <= 85


def test_better_scores_go_with_cleaner_older_files(reports: list[CreditReport]) -> None:
    scores = np.array([report.credit_score for report in reports], dtype=float)

    def correlation(values: list[float]) -> float:
        return float(np.corrcoef(scores, np.array(values, dtype=float))[0, 1])

    assert correlation([report.revolving_utilization for report in reports]) < -0.3
    assert correlation([report.delinquencies_30d_24m for report in reports]) < 0
    assert correlation([report.inquiries_12m for report in reports]) < 0
    assert correlation([report.oldest_tradeline_months for report in reports]) > 0


def test_thin_files_and_bankruptcies_are_as_rare_as_intended(
    reports: list[CreditReport],
) -> None:
    thin_share = np.mean([report.is_thin_file for report in reports])
    bankrupt = [report for report in reports if report.months_since_bankruptcy is not None]
    assert 0.05 <= thin_share <= 0.15
    assert 0.01 <= len(bankrupt) / len(reports) <= 0.04
    median_score = np.median([report.credit_score for report in reports])
    assert np.median([report.credit_score for report in bankrupt]) < median_score - 50


def test_every_report_is_in_range_and_self_consistent(reports: list[CreditReport]) -> None:
    for report in reports:
        assert CreditReport.model_validate(report.model_dump()) == report
        assert 300 <= report.credit_score <= 850
        assert 0 <= report.revolving_utilization <= 1
        assert 0 <= len(report.tradelines) <= 15
        assert report.inquiries_6m <= report.inquiries_12m
        payments = sum(line.monthly_payment for line in report.tradelines)
        assert report.total_monthly_debt == pytest.approx(payments, abs=0.01)
        revolving = [line for line in report.tradelines if line.kind is TradelineKind.REVOLVING]
        limits = sum(line.limit_or_original_amount for line in revolving)
        if limits:
            used = sum(line.balance for line in revolving) / limits
            assert report.revolving_utilization == pytest.approx(used, abs=1e-3)
        else:
            assert report.revolving_utilization == 0
        lates = (
            report.delinquencies_30d_24m
            + report.delinquencies_60d_24m
            + report.delinquencies_90d_plus_24m
        )
        worst = max((int(line.worst_delinquency_24m) for line in report.tradelines), default=0)
        assert (worst > 0) == (lates > 0)
        if report.months_since_bankruptcy is not None:
            assert report.public_records >= 1


@pytest.mark.parametrize("purpose", ["", "marketing", "employment", "CREDIT_TRANSACTION"])
def test_a_pull_without_a_permissible_purpose_is_refused(purpose: str) -> None:
    with pytest.raises(NoPermissiblePurposeError):
        bureau().pull(token(3), permissible_purpose=purpose)


@pytest.mark.parametrize("purpose", list(PermissiblePurpose))
def test_every_permissible_purpose_allows_a_pull(purpose: PermissiblePurpose) -> None:
    assert bureau().pull(token(3), permissible_purpose=purpose.value).bureau == "simulated"


def test_a_raw_ssn_is_refused_without_being_quoted() -> None:
    with pytest.raises(InvalidSsnTokenError) as refused:
        bureau().pull(samples.RAW_SSN, permissible_purpose=PURPOSE)
    assert samples.RAW_SSN not in str(refused.value)


def test_no_ssn_or_token_appears_in_a_report() -> None:
    identity = samples.protector().protect(samples.submission(), samples.APPLICATION_ID).identity
    report = bureau().pull(identity.ssn_token, permissible_purpose=PURPOSE)
    text = report.model_dump_json()
    raw = samples.RAW_SSN
    for secret in (raw, f"{raw[:3]}-{raw[3:5]}-{raw[5:]}", identity.ssn_token):
        assert secret not in text
        assert secret not in repr(report)


def anchored_run(share: float | None = None) -> list[tuple[AnchorFacts, CreditReport]]:
    """Reports for applicants who stated scores and loans like real ones; ``None`` keeps the
    bureau's default disagreeing share."""
    rng = np.random.default_rng(7)
    stated = {
        token(n): AnchorFacts(
            credit_score=int(np.clip(rng.normal(690, 70), 300, 850)),
            existing_loans=int(rng.integers(0, 7)),
        )
        for n in range(ANCHORED_SAMPLE_SIZE)
    }
    simulated = (
        SimulatedBureau(anchor=stated.get, clock=fixed_clock)
        if share is None
        else SimulatedBureau(anchor=stated.get, disagreement_share=share, clock=fixed_clock)
    )
    return [
        (facts, simulated.pull(ssn_token, permissible_purpose=PURPOSE))
        for ssn_token, facts in stated.items()
    ]


def test_an_anchored_bureau_mostly_agrees_with_what_was_stated() -> None:
    pairs = anchored_run()
    close = [abs(report.credit_score - facts.credit_score) <= 25 for facts, report in pairs]
    loans = [abs(report.loan_count - facts.existing_loans) <= 1 for facts, report in pairs]
    assert np.mean(close) >= 0.9
    assert np.mean(loans) >= 0.9
    # The default share disagrees: 5 %, with room for sampling noise.
    assert 0.03 <= 1 - np.mean(close) <= 0.075


def test_the_disagreeing_share_is_configurable() -> None:
    pairs = anchored_run(share=0.2)
    far = [abs(report.credit_score - facts.credit_score) > 25 for facts, report in pairs]
    assert 0.17 <= np.mean(far) <= 0.23


def test_anchored_debts_give_the_stated_debt_to_income() -> None:
    stated = profile(credit_score=720, existing_loans=3, debt_to_income_ratio=32.0)
    facts = AnchorFacts.from_financials(stated)
    tokens = [token(n) for n in range(300)]
    simulated = SimulatedBureau(anchor=lambda _: facts, disagreement_share=0.0)
    found = [
        compare(
            stated,
            simulated.pull(ssn_token, permissible_purpose=PURPOSE),
            monthly_income=stated.annual_income / 12,
        )
        for ssn_token in tokens
    ]
    assert all(mismatches == () for mismatches in found)


def test_a_disagreeing_bureau_raises_flattering_mismatches() -> None:
    stated = profile(credit_score=720, existing_loans=3, debt_to_income_ratio=32.0)
    facts = AnchorFacts.from_financials(stated)
    simulated = SimulatedBureau(anchor=lambda _: facts, disagreement_share=1.0)
    for n in range(100):
        bureau_report = simulated.pull(token(n), permissible_purpose=PURPOSE)
        found = compare(stated, bureau_report, monthly_income=stated.annual_income / 12)
        flagged = {mismatch.field: mismatch.severity for mismatch in found}
        assert flagged[MismatchField.CREDIT_SCORE] is not MismatchSeverity.LOW
        assert flagged[MismatchField.EXISTING_LOANS] is not MismatchSeverity.LOW


def profile(
    *, credit_score: int = 700, existing_loans: int = 2, debt_to_income_ratio: float = 30.0
) -> FinancialProfile:
    return FinancialProfile(
        annual_income=72_000,
        credit_score=credit_score,
        debt_to_income_ratio=debt_to_income_ratio,
        savings_balance=10_000,
        checking_balance=2_500,
        existing_loans=existing_loans,
        payment_history=PaymentHistory.GOOD,
    )


MONTHLY_INCOME = 6_000.0


def made_report(
    *, credit_score: int = 700, loans: int = 2, monthly_debt: float = 1_800.0
) -> CreditReport:
    """A hand-made report whose loans carry ``monthly_debt`` between them."""
    payment = monthly_debt / loans if loans else 0.0
    card = Tradeline(
        kind=TradelineKind.REVOLVING,
        balance=0.0,
        limit_or_original_amount=5_000,
        monthly_payment=0.0,
        months_open=60,
    )
    installments = tuple(
        Tradeline(
            kind=TradelineKind.INSTALLMENT,
            balance=9_000,
            limit_or_original_amount=20_000,
            monthly_payment=payment,
            months_open=24,
        )
        for _ in range(loans)
    )
    return CreditReport(
        report_id="test-1",
        bureau="simulated",
        pulled_at=PULLED_AT,
        credit_score=credit_score,
        tradelines=(card, *installments),
        revolving_utilization=0.0,
        inquiries_6m=0,
        inquiries_12m=1,
        delinquencies_30d_24m=0,
        delinquencies_60d_24m=0,
        delinquencies_90d_plus_24m=0,
        public_records=0,
        oldest_tradeline_months=60,
        total_monthly_debt=payment * loans,
    )


def test_consistent_figures_give_no_mismatch() -> None:
    # 30 % of 6,000 a month is 1,800; small differences stay within every tolerance.
    bureau_report = made_report(credit_score=680, loans=3, monthly_debt=2_300)
    assert compare(profile(), bureau_report, monthly_income=MONTHLY_INCOME) == ()


@pytest.mark.parametrize(
    ("stated_score", "bureau_score", "severity", "buckets"),
    [
        (760, 700, MismatchSeverity.MEDIUM, ("740-799", "670-739")),
        (800, 700, MismatchSeverity.HIGH, ("800-850", "670-739")),
        (650, 760, MismatchSeverity.LOW, ("580-669", "740-799")),
    ],
)
def test_a_score_far_from_the_bureau_is_flagged(
    stated_score: int, bureau_score: int, severity: MismatchSeverity, buckets: tuple[str, str]
) -> None:
    found = compare(
        profile(credit_score=stated_score),
        made_report(credit_score=bureau_score),
        monthly_income=MONTHLY_INCOME,
    )
    assert found == (
        BureauMismatch(
            field=MismatchField.CREDIT_SCORE,
            stated_bucket=buckets[0],
            bureau_bucket=buckets[1],
            severity=severity,
        ),
    )


@pytest.mark.parametrize(
    ("stated_loans", "bureau_loans", "severity"),
    [(2, 4, MismatchSeverity.MEDIUM), (1, 5, MismatchSeverity.HIGH), (6, 2, MismatchSeverity.LOW)],
)
def test_hidden_or_invented_loans_are_flagged(
    stated_loans: int, bureau_loans: int, severity: MismatchSeverity
) -> None:
    found = compare(
        profile(existing_loans=stated_loans),
        made_report(loans=bureau_loans),
        monthly_income=MONTHLY_INCOME,
    )
    assert [(m.field, m.severity) for m in found] == [(MismatchField.EXISTING_LOANS, severity)]


def test_one_loan_more_or_less_is_tolerated() -> None:
    for bureau_loans in (1, 3):
        stated = profile(existing_loans=2)
        assert compare(stated, made_report(loans=bureau_loans), monthly_income=MONTHLY_INCOME) == ()


def test_debts_the_bureau_sees_beyond_the_stated_ratio_are_flagged() -> None:
    # The bureau's 3,000 a month is 50 % of income against 30 % stated.
    found = compare(profile(), made_report(monthly_debt=3_000), monthly_income=MONTHLY_INCOME)
    assert found == (
        BureauMismatch(
            field=MismatchField.DEBT_TO_INCOME_RATIO,
            stated_bucket="20-36",
            bureau_bucket="50-100",
            severity=MismatchSeverity.MEDIUM,
        ),
    )


def test_tolerances_are_parameters_and_no_income_skips_the_ratio() -> None:
    far_off = made_report(credit_score=600, loans=6, monthly_debt=4_000)
    assert len(compare(profile(), far_off, monthly_income=MONTHLY_INCOME)) == 3
    lenient = compare(
        profile(),
        far_off,
        monthly_income=MONTHLY_INCOME,
        score_tolerance=150,
        loan_count_tolerance=4,
        dti_tolerance_points=50,
    )
    assert lenient == ()
    fields = [m.field for m in compare(profile(), far_off, monthly_income=0)]
    assert MismatchField.DEBT_TO_INCOME_RATIO not in fields
    with pytest.raises(ValueError, match="monthly_income"):
        compare(profile(), far_off, monthly_income=-1)


def test_mismatches_carry_buckets_not_the_figures() -> None:
    found = compare(
        profile(credit_score=763, existing_loans=0, debt_to_income_ratio=12.5),
        made_report(credit_score=611, loans=7, monthly_debt=3_300),
        monthly_income=MONTHLY_INCOME,
    )
    assert len(found) == 3
    text = "".join(mismatch.model_dump_json() for mismatch in found)
    for figure in ("763", "611", "12.5", "55.0", "3300"):
        assert figure not in text


def test_internal_data_is_repeatable_and_consistent() -> None:
    internal = SimulatedInternalData()
    assert internal.relationship("customer-42") == SimulatedInternalData().relationship(
        "customer-42"
    )
    relationships = [internal.relationship(f"customer-{n}") for n in range(2_000)]
    with_loans = [r for r in relationships if r.loan_count > 0]
    assert 0.25 <= len(with_loans) / len(relationships) <= 0.45
    assert all(r.internal_exposure > 0 and r.monthly_payments > 0 for r in with_loans)
    assert all(
        (r.on_time_payment_ratio is None) == (r.closed_loan_count == 0) for r in relationships
    )
    newcomers = [r for r in relationships if r.months_as_customer == 0]
    assert all(r.loan_count == r.closed_loan_count == 0 for r in newcomers)
    with pytest.raises(ValueError, match="customer_id"):
        internal.relationship("")
