"""Scoring: bureau file, knock-outs, probability of default, grade and reasons, per batch.

Pure logic with its ports injected, no Kafka. A batch is handled in two passes: first every
event's files are gathered (or the event is settled without them: skipped, or no consent to a
credit check), then the gathered events are checked by the policy and scored by the model in one
call, which is what keeps the stage fast under load.

Marital status is never read: ``model_input`` builds the model row and the policy input from
explicit lists of fields that leave it out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.contracts import (
    ApplicationCase,
    EarlyOutcome,
    Reason,
    Scored,
    ScoringResult,
    StageName,
    Topics,
)
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, ScoringStatus
from services.common.contracts.topics import TopicSpec
from services.common.logs import log_context
from services.common.runtime import Emit, Envelope
from services.scoring.assessment import Assessment, assess
from services.scoring.bureau import CreditReport, InternalRelationship, compare
from services.scoring.metrics import ScoringMetrics
from services.scoring.model_input import (
    MODEL_COLUMNS,
    Row,
    model_row,
    policy_input,
    table_of,
    verified_debt_to_income,
)
from services.scoring.policy import PD_DECIMALS, CreditPolicy, GradeBand
from services.scoring.ports import CreditBureau, InternalData, ModelProvider, RunOnce
from services.scoring.reasons import Catalogue, default_catalogue, suggest_improvements
from services.scoring.reasons.contributions import EXACT_KINDS
from services.scoring.training.artifact import LoadedModel
from services.scoring.training.derived import DERIVED_FEATURES

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

NO_CONSENT = Reason(
    code="NO_CREDIT_CHECK_CONSENT",
    description="No consent to a credit bureau inquiry, so the credit file could not be read.",
)
HIGH_RISK = Reason(
    code="ESTIMATED_RISK_TOO_HIGH",
    description="Estimated risk of default above what can be approved automatically.",
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Files:
    report: CreditReport
    relationship: InternalRelationship


@dataclass(frozen=True)
class _Gathered:
    """An event whose credit file is in, waiting for the batch's policy check and model run."""

    position: int
    envelope: Envelope[Any]
    case: ApplicationCase
    report: CreditReport
    relationship: InternalRelationship
    row: Row


def _first_each(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def check_champion(model: LoadedModel) -> None:
    """Raise ``ValueError`` when the stage cannot decide with ``model``.

    Reasons must come from the model's own contributions, and a column the stage cannot fill
    would fail every event instead of this one check.
    """
    if model.kind not in EXACT_KINDS:
        raise ValueError(f"a {model.kind} model has no exact contributions to state reasons")
    check_challenger(model)


def check_challenger(model: LoadedModel) -> None:
    """A shadow model states no reasons, but it must read only what the stage fills."""
    unknown = sorted(model.encoder.spec.source_columns - set(MODEL_COLUMNS))
    if unknown:
        raise ValueError(f"the model reads columns a live application does not fill: {unknown}")


class _Fixed:
    """A model that never changes, for tests and benchmarks."""

    def __init__(self, model: LoadedModel) -> None:
        self._model = model

    def current(self) -> LoadedModel:
        return self._model


class ScoringHandler:
    def __init__(
        self,
        *,
        bureau: CreditBureau,
        internal_data: InternalData,
        once: RunOnce,
        model: LoadedModel | ModelProvider,
        policy: CreditPolicy,
        stage_version: str,
        challenger: LoadedModel | ModelProvider | None = None,
        bureau_concurrency: int = 1,
        bankruptcy_lookback_months: int = 84,
        catalogue: Catalogue | None = None,
        metrics: ScoringMetrics | None = None,
        output: TopicSpec[Scored] = Topics.SCORED,
        clock: Clock = _utc_now,
    ) -> None:
        self._models = _Fixed(model) if isinstance(model, LoadedModel) else model
        self._challengers = (
            _Fixed(challenger) if isinstance(challenger, LoadedModel) else challenger
        )
        # Refused at start-up; a provider checks every later version before it switches.
        check_champion(self._models.current())
        if self._challengers is not None:
            check_challenger(self._challengers.current())
        self._bureau = bureau
        self._internal_data = internal_data
        self._once = once
        self._bureau_concurrency = bureau_concurrency
        self._policy = policy
        self._stage_version = f"{stage_version}+policy.{policy.version}"
        self._lookback_months = bankruptcy_lookback_months
        self._catalogue = catalogue or default_catalogue()
        self._metrics = metrics or ScoringMetrics()
        self._output = output
        self._clock = clock

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit]:
        now = self._clock()
        settled: dict[int, Emit] = {}
        to_gather: list[tuple[int, Envelope[Any], ApplicationCase]] = []
        for position, envelope in enumerate(batch):
            with log_context(envelope.key, envelope.event.trace_id):
                case: ApplicationCase = envelope.value
                if case.ended_early:
                    skipped = ScoringResult(
                        status="skipped", completed_at=now, stage_version=self._stage_version
                    )
                    settled[position] = self._emit(envelope, case, skipped, None)
                elif not case.application.consents.credit_check.granted:
                    # Pulling a file without consent would itself be a violation: a person
                    # has to sort the consent out before the application can be scored.
                    settled[position] = self._refer_without_consent(envelope, case, now)
                else:
                    to_gather.append((position, envelope, case))
        if to_gather:
            settled.update(self._score(self._gather(to_gather), now))
        return [settled[position] for position in range(len(batch))]

    def _gather(
        self, to_gather: list[tuple[int, Envelope[Any], ApplicationCase]]
    ) -> list[_Gathered]:
        """Every event's bureau report and relationship with the bank, through ``Once``.

        Through ``Once``, so a retried or replayed event reuses the stored answers: the
        applicant gets one hard inquiry and the same event always sees the same file. One
        ``many`` call claims and stores the whole batch's keys in two Redis round trips.
        """
        fresh: dict[int, _Files] = {}

        def fetch(index: int, case: ApplicationCase) -> Callable[[], dict[str, Any]]:
            def run() -> dict[str, Any]:
                application = case.application
                # The bank's own books first: if they fail, no inquiry has been spent.
                relationship = self._internal_data.relationship(application.customer_id)
                report = self._bureau.pull(
                    application.identity.ssn_token,
                    permissible_purpose=application.consents.credit_check.permissible_purpose.value,
                )
                fresh[index] = _Files(report, relationship)
                return {
                    "report": report.model_dump(mode="json"),
                    "relationship": relationship.model_dump(mode="json"),
                }

            return run

        answers = self._once.many(
            [
                (f"credit-files:{case.application_id}", fetch(index, case))
                for index, (_, _, case) in enumerate(to_gather)
            ],
            workers=self._bureau_concurrency,
        )
        gathered = []
        for index, ((position, envelope, case), stored) in enumerate(
            zip(to_gather, answers, strict=True)
        ):
            # A file just pulled is used as it is; a stored one crossed Redis and is checked.
            files = fresh.get(index) or _Files(
                CreditReport.model_validate(stored["report"]),
                InternalRelationship.model_validate(stored["relationship"]),
            )
            row = model_row(case.application, files.report)
            gathered.append(
                _Gathered(position, envelope, case, files.report, files.relationship, row)
            )
        return gathered

    def _score(self, gathered: list[_Gathered], now: datetime) -> dict[int, Emit]:
        # One model for the whole batch, even if a new version is promoted meanwhile.
        model = self._models.current()
        challenger = self._challengers.current() if self._challengers is not None else None
        self._metrics.using("champion", model.version)
        if challenger is not None:
            self._metrics.using("challenger", challenger.version)
        table = table_of([item.row for item in gathered])
        # The same post-loan DTI the model computes, so policy and model judge one figure.
        post_loan_dti = DERIVED_FEATURES["post_loan_dti"].compute(table)
        facts = [
            policy_input(
                item.case.application,
                item.report,
                post_loan_dti=float(dti),
                bankruptcy_lookback_months=self._lookback_months,
            )
            for item, dti in zip(gathered, post_loan_dti, strict=True)
        ]
        assessed = assess(
            table,
            facts,
            model=model,
            policy=self._policy,
            catalogue=self._catalogue,
            challenger=challenger,
        )
        if assessed.challenger_failed:
            self._metrics.challenger_failures.inc()
        emits = {}
        results = []
        for item, assessment in zip(gathered, assessed.rows, strict=True):
            with log_context(item.envelope.key, item.envelope.event.trace_id):
                result, ended = self._decide(item, assessment, model, now)
                results.append(result)
                emits[item.position] = self._emit(item.envelope, item.case, result, ended)
        self._count(results, assessed.rows)
        return emits

    def _decide(
        self, item: _Gathered, assessment: Assessment, model: LoadedModel, now: datetime
    ) -> tuple[ScoringResult, EarlyOutcome | None]:
        policy_result, grade = assessment.policy, assessment.grade
        reasons = assessment.reasons
        tips: tuple[str, ...] = ()
        status: ScoringStatus
        if not policy_result.passed or grade.band is GradeBand.DECLINE:
            status = "reject"
        elif grade.band is GradeBand.REFER:
            status = "refer"
        else:
            status = "pass"
            reasons = ()
        if policy_result.passed and status != "pass":
            # Tips address the model's grade; a knock-out states its own condition instead.
            search = suggest_improvements(
                model,
                item.row,
                self._policy,
                catalogue=self._catalogue,
                probability_of_default=assessment.probability,
            )
            tips = tuple(tip.text for tip in search.improvements)[:MAX_PRINCIPAL_REASONS]
        if status != "pass" and not reasons:
            reasons = (HIGH_RISK,)  # no feature counted against the applicant: state the risk
        financials = item.case.application.financials
        result = ScoringResult(
            status=status,
            reasons=reasons[:MAX_PRINCIPAL_REASONS],
            completed_at=now,
            stage_version=self._stage_version,
            model_version=model.version,
            probability_of_default=round(assessment.probability, PD_DECIMALS),
            risk_grade=grade.grade,
            bureau_credit_score=item.report.credit_score,
            internal_exposure=item.relationship.internal_exposure,
            verified_debt_to_income_ratio=self._verified_dti(item),
            # For fraud screening: judged against the stated income, like the stated ratio.
            bureau_mismatches=compare(
                financials, item.report, monthly_income=financials.annual_income / 12
            ),
            challenger=assessment.challenger,
            policy_rule_ids=(
                *_first_each([knockout.rule_id for knockout in policy_result.knockouts]),
                grade.rule_id,
            ),
            improvement_tips=tips,
        )
        ended = None
        if status != "pass":
            ended = EarlyOutcome(
                outcome="reject" if status == "reject" else "refer",
                stage=StageName.SCORING,
                reasons=result.reasons,
                decided_at=now,
            )
        log.info(
            "application scored",
            extra={
                "status": status,
                "risk_grade": grade.grade.value,
                "rules": result.policy_rule_ids,
            },
        )
        return result, ended

    def _count(self, results: list[ScoringResult], rows: list[Assessment]) -> None:
        metrics = self._metrics
        metrics.count(
            metrics.applications,
            ((r.status, r.risk_grade.value if r.risk_grade else "none") for r in results),
        )
        metrics.count(
            metrics.knockouts,
            ((knockout.rule_id,) for row in rows for knockout in row.policy.knockouts),
        )
        metrics.count(
            metrics.mismatches,
            ((m.field.value, m.severity.value) for r in results for m in r.bureau_mismatches),
        )
        metrics.count(
            metrics.challenger,
            (
                (r.risk_grade.value, r.challenger.risk_grade.value)
                for r in results
                if r.challenger is not None and r.risk_grade is not None
            ),
        )

    def _verified_dti(self, item: _Gathered) -> float | None:
        """Measured against the documents' verified income when they gave one."""
        documents = item.case.documents
        verified = documents.verified_annual_income if documents is not None else None
        stated = item.case.application.financials.annual_income
        return verified_debt_to_income(item.report, stated if verified is None else verified)

    def _refer_without_consent(
        self, envelope: Envelope[Any], case: ApplicationCase, now: datetime
    ) -> Emit:
        log.info("application referred: no credit check consent")
        result = ScoringResult(
            status="refer",
            reasons=(NO_CONSENT,),
            completed_at=now,
            stage_version=self._stage_version,
        )
        ended = EarlyOutcome(
            outcome="refer", stage=StageName.SCORING, reasons=(NO_CONSENT,), decided_at=now
        )
        return self._emit(envelope, case, result, ended)

    def _emit(
        self,
        envelope: Envelope[Any],
        case: ApplicationCase,
        result: ScoringResult,
        ended: EarlyOutcome | None,
    ) -> Emit:
        updates: dict[str, Any] = {"scoring": result}
        if ended is not None:
            updates["early_outcome"] = ended
        return Emit.following(envelope, self._output, case.advance(Scored, **updates))
