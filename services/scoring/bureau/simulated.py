"""The embedded default: a simulated bureau and simulated internal data, for demos and tests.

Every answer is drawn from a generator seeded with SHA-256 of a seed string and the key (SSN
token or customer id), so a given applicant always gets the same report and runs replay
exactly. The score is drawn first; everything else is drawn given the score's distance from the
mean, which is what gives the report the joint shape of real files (see README.md).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pydantic import Field

from services.common.contracts.application import FinancialProfile
from services.common.contracts.base import EventModel
from services.common.contracts.primitives import CreditScore, Money
from services.scoring.bureau.models import (
    THIN_FILE_MAX_TRADELINES,
    CreditReport,
    Delinquency,
    InternalRelationship,
    Tradeline,
    TradelineKind,
    revolving_utilization,
)
from services.scoring.bureau.ports import check_pull

BUREAU_NAME: Final = "simulated"
SCORE_MEAN: Final = 690.0
SCORE_SD: Final = 70.0
MAX_SIMULATED_TRADELINES: Final = 15
ANCHORED_SCORE_SPREAD: Final = 20
"""Anchored scores land within this many points of the stated one, well inside the tolerance
``compare`` allows, so agreeing applicants never raise a score mismatch."""

# Module constants: reading an enum member through its class is a slow attribute lookup, and a
# pull makes dozens of them.
_REVOLVING: Final = TradelineKind.REVOLVING
_INSTALLMENT: Final = TradelineKind.INSTALLMENT
_MORTGAGE: Final = TradelineKind.MORTGAGE
_KINDS: Final = (_REVOLVING, _INSTALLMENT, _MORTGAGE)
_DELINQUENCY: Final = {int(level): level for level in Delinquency}
_KIND_SHARES: Final = (0.55, 0.35, 0.10)
_MAX_MORTGAGES: Final = 2
_THIN_FILE_LOGIT: Final = -2.35  # about 10 % of files over the score distribution
_BANKRUPTCY_LOGIT: Final = -5.6  # about 2 %, three in four of them below 620
_BANKRUPTCY_SLOPE: Final = 2.0


class AnchorFacts(EventModel):
    """What an applicant stated, for a demo bureau that should broadly agree with it."""

    credit_score: CreditScore
    existing_loans: int = Field(ge=0, le=100)
    monthly_debt: Money | None = Field(
        default=None, description="Stated monthly debt payments; None leaves debts unanchored."
    )

    @classmethod
    def from_financials(cls, financials: FinancialProfile) -> AnchorFacts:
        monthly_income = financials.annual_income / 12
        return cls(
            credit_score=financials.credit_score,
            existing_loans=financials.existing_loans,
            monthly_debt=financials.debt_to_income_ratio / 100 * monthly_income,
        )


Anchor = Callable[[str], AnchorFacts | None]
"""Looks up what the applicant with this SSN token stated, or None to draw freely."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _digest(seed: str, key: str) -> bytes:
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    return hashlib.sha256(f"{seed}\x00{key}".encode()).digest()


def _generator(seed: str, key: str) -> random.Random:
    # The standard library's generator: a report needs a few dozen scalar draws, which numpy
    # makes several times slower than plain Python (a pull took 0.65 ms with numpy).
    return random.Random(int.from_bytes(_digest(seed, key), "big"))  # noqa: S311 - simulation


def _integer(rng: random.Random, start: int, stop: int) -> int:
    """A uniform integer in [start, stop): ``randrange`` without its argument checks, which
    cost more than the draw itself (the bias of scaling is far below 1e-12 for these ranges)."""
    return start + int(rng.random() * (stop - start))


def _lognormal(rng: random.Random, mu: float, sigma: float) -> float:
    # gauss() keeps the second value of each Box-Muller pair: half the work of lognormvariate.
    return math.exp(rng.gauss(mu, sigma))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by multiplying uniforms (fine for the small means used here)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _clip_score(value: float) -> int:
    return int(min(850, max(300, round(value))))


@dataclass(frozen=True, slots=True)
class _Targets:
    score: int
    loans: int | None
    monthly_debt: float | None


def _targets(rng: random.Random, facts: AnchorFacts | None, disagree: float) -> _Targets:
    if facts is None:
        return _Targets(_clip_score(rng.gauss(SCORE_MEAN, SCORE_SD)), None, None)
    debt = facts.monthly_debt
    if rng.random() < disagree:
        # The bureau sees a worse file than stated: the kind of gap fraud screening looks for.
        gap = _integer(rng, 60, 151)
        lower = facts.credit_score - gap
        score = lower if lower >= 300 else facts.credit_score + gap
        loans = facts.existing_loans + _integer(rng, 2, 5)
        return _Targets(score, loans, None if debt is None else debt * rng.uniform(1.6, 2.5))
    spread = ANCHORED_SCORE_SPREAD
    score = _clip_score(facts.credit_score + _integer(rng, -spread, spread + 1))
    loans = max(0, facts.existing_loans + rng.choice((-1, 0, 0, 0, 1)))
    return _Targets(score, loans, None if debt is None else debt * rng.uniform(0.92, 1.08))


def _kinds(rng: random.Random, quality: float, loans: int | None) -> list[TradelineKind]:
    if rng.random() < _logistic(_THIN_FILE_LOGIT - 0.6 * quality):
        total = _integer(rng, 0, THIN_FILE_MAX_TRADELINES + 1)
    else:
        extra = _poisson(rng, max(0.5, 4.0 + 1.2 * quality))
        total = min(MAX_SIMULATED_TRADELINES, THIN_FILE_MAX_TRADELINES + 1 + extra)
    kinds = rng.choices(_KINDS, weights=_KIND_SHARES, k=total)
    revolving = kinds.count(_REVOLVING)
    mortgages = min(_MAX_MORTGAGES, kinds.count(_MORTGAGE))
    installments = total - revolving - mortgages
    if loans is not None:
        # The anchor fixes the number of loans; the drawn file decides how many are mortgages.
        loan_total = min(loans, MAX_SIMULATED_TRADELINES)
        mortgages = min(mortgages, loan_total)
        installments = loan_total - mortgages
        revolving = min(revolving, MAX_SIMULATED_TRADELINES - loan_total)
    return [_REVOLVING] * revolving + [_INSTALLMENT] * installments + [_MORTGAGE] * mortgages


def _file_age(rng: random.Random, quality: float, tradelines: int) -> int:
    if tradelines == 0:
        return 0
    if tradelines <= THIN_FILE_MAX_TRADELINES:
        return _integer(rng, 3, 49)
    return int(min(600.0, max(12.0, _lognormal(rng, math.log(110) + 0.35 * quality, 0.45))))


def _amortized(principal: float, annual_rate: float, term: int, paid: int) -> tuple[float, float]:
    """Monthly payment and the balance left after ``paid`` payments."""
    rate = annual_rate / 12
    growth = (1 + rate) ** term
    payment = principal * rate * growth / (growth - 1)
    elapsed = (1 + rate) ** paid
    return payment, principal * elapsed - payment * (elapsed - 1) / rate


@dataclass(frozen=True, slots=True)
class _Line:
    kind: TradelineKind
    balance: float
    amount: float
    payment: float
    months_open: int


def _line(rng: random.Random, kind: TradelineKind, quality: float, oldest: int) -> _Line:
    if kind is _REVOLVING:
        limit = max(300.0, round(_lognormal(rng, math.log(4000) + 0.45 * quality, 0.7), -2))
        # Better files carry lower balances; a quarter of cards sit unused at any time.
        mean_use = _logistic(-0.85 - 1.3 * quality)
        use = 0.0 if rng.random() < 0.25 else rng.betavariate(5 * mean_use, 5 * (1 - mean_use))
        balance = limit * use
        payment = min(balance, max(25.0, 0.025 * balance))
        return _Line(kind, balance, limit, payment, _integer(rng, 1, oldest + 1))
    if kind is _MORTGAGE:
        term = 360 if rng.random() < 0.8 else 180
        amount = min(2_000_000.0, max(40_000.0, _lognormal(rng, math.log(240_000), 0.5)))
        annual_rate = min(0.12, max(0.025, rng.gauss(0.055 - 0.006 * quality, 0.008)))
    else:
        term = rng.choice((24, 36, 48, 60, 72))
        amount = min(150_000.0, max(500.0, _lognormal(rng, math.log(14_000), 0.7)))
        annual_rate = min(0.30, max(0.03, rng.gauss(0.08 - 0.025 * quality, 0.02)))
    months_open = _integer(rng, 1, min(oldest, term - 1) + 1)
    payment, balance = _amortized(amount, annual_rate, term, months_open)
    return _Line(kind, balance, amount, payment, months_open)


def _debt_factor(lines: list[_Line], monthly_debt: float | None) -> float:
    """What to scale a file's amounts by so its payments add up to the anchored debt.

    Every amount of a line is scaled together, which keeps its utilization and terms coherent.
    """
    drawn = sum(line.payment for line in lines)
    return 1.0 if monthly_debt is None or drawn == 0 else monthly_debt / drawn


def _delinquencies(rng: random.Random, quality: float) -> tuple[int, int, int]:
    # Capped so the rare 300-point file does not explode into hundreds of lates.
    late = min(8.0, 0.12 * math.exp(-1.3 * quality))
    return _poisson(rng, late), _poisson(rng, 0.35 * late), _poisson(rng, 0.25 * late)


def _worst_per_line(rng: random.Random, lines: int, lates: tuple[int, int, int]) -> list[int]:
    """Spreads the late payments over the tradelines and keeps each one's worst."""
    worst = [int(Delinquency.CURRENT)] * lines
    buckets = (Delinquency.DAYS_30, Delinquency.DAYS_60, Delinquency.DAYS_90_PLUS)
    for bucket, count in zip(buckets, lates, strict=True):
        for index in (_integer(rng, 0, lines) for _ in range(count)):
            worst[index] = max(worst[index], int(bucket))
    return worst


class SimulatedBureau:
    """A ``CreditBureau`` that invents a plausible, repeatable report for every SSN token."""

    def __init__(
        self,
        *,
        seed: str = "prescreen-simulated-bureau",
        anchor: Anchor | None = None,
        disagreement_share: float = 0.05,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not 0.0 <= disagreement_share <= 1.0:
            raise ValueError("disagreement_share must be between 0 and 1")
        self._seed = seed
        self._anchor = anchor
        self._disagreement_share = disagreement_share
        self._clock = clock

    def pull(self, ssn_token: str, *, permissible_purpose: str) -> CreditReport:
        check_pull(ssn_token, permissible_purpose)
        rng = _generator(self._seed, ssn_token)
        facts = None if self._anchor is None else self._anchor(ssn_token)
        targets = _targets(rng, facts, self._disagreement_share)
        quality = (targets.score - SCORE_MEAN) / SCORE_SD
        kinds = _kinds(rng, quality, targets.loans)
        oldest = _file_age(rng, quality, len(kinds))
        lines = [_line(rng, kind, quality, oldest) for kind in kinds]
        factor = _debt_factor(lines, targets.monthly_debt)
        lates = _delinquencies(rng, quality) if lines else (0, 0, 0)
        tradelines = tuple(
            Tradeline(
                kind=line.kind,
                balance=round(line.balance * factor, 2),
                limit_or_original_amount=round(line.amount * factor, 2),
                monthly_payment=round(line.payment * factor, 2),
                months_open=line.months_open,
                worst_delinquency_24m=_DELINQUENCY[worst],
            )
            for line, worst in zip(lines, _worst_per_line(rng, len(lines), lates), strict=True)
        )
        inquiries_12m = _poisson(rng, min(8.0, 1.1 * math.exp(-0.5 * quality)))
        bankrupt = rng.random() < _logistic(_BANKRUPTCY_LOGIT - _BANKRUPTCY_SLOPE * quality)
        return CreditReport(
            # Derived from the seed and token through a second hash, so it reveals neither.
            report_id="sim-" + hashlib.sha256(_digest(self._seed, ssn_token)).hexdigest()[:24],
            bureau=BUREAU_NAME,
            pulled_at=self._clock(),
            credit_score=targets.score,
            tradelines=tradelines,
            revolving_utilization=round(revolving_utilization(tradelines), 4),
            inquiries_6m=sum(rng.random() < 0.55 for _ in range(inquiries_12m)),
            inquiries_12m=inquiries_12m,
            delinquencies_30d_24m=lates[0],
            delinquencies_60d_24m=lates[1],
            delinquencies_90d_plus_24m=lates[2],
            public_records=1 if bankrupt else 0,
            months_since_bankruptcy=_integer(rng, 6, 121) if bankrupt else None,
            oldest_tradeline_months=oldest,
            total_monthly_debt=round(sum(line.monthly_payment for line in tradelines), 2),
        )


class SimulatedInternalData:
    """An ``InternalData`` that invents a repeatable relationship for every customer id."""

    def __init__(self, *, seed: str = "prescreen-simulated-internal-data") -> None:
        self._seed = seed

    def relationship(self, customer_id: str) -> InternalRelationship:
        if not customer_id:
            raise ValueError("customer_id must not be empty")
        rng = _generator(self._seed, customer_id)
        # About one applicant in six is new to the bank and has no history with it at all.
        new_to_bank = rng.random() < 0.15
        months = 0 if new_to_bank else 1 + int(min(599.0, rng.expovariate(1 / 60.0)))
        loan_count = 0 if new_to_bank else rng.choices(range(4), weights=(0.6, 0.27, 0.1, 0.03))[0]
        balances = [
            _lognormal(rng, math.log(9_000), 0.8) * rng.uniform(0.1, 1.0) for _ in range(loan_count)
        ]
        payments = [balance / rng.uniform(12, 60) for balance in balances]
        closed = min(100, _poisson(rng, months / 72))
        on_time = round(rng.betavariate(40, 1.5), 3) if closed else None
        has_loan_history = loan_count > 0 or closed > 0
        late = has_loan_history and rng.random() < 0.1
        return InternalRelationship(
            loan_count=loan_count,
            internal_exposure=round(sum(balances), 2),
            monthly_payments=round(sum(payments), 2),
            worst_days_past_due_24m=_integer(rng, 1, 121) if late else 0,
            months_as_customer=months,
            closed_loan_count=closed,
            on_time_payment_ratio=on_time,
        )
