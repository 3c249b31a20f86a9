"""Fraud screening per batch: watch lists, velocity, identity consistency, weighted rules.

Pure logic with its ports injected, no Kafka. Per batch: every case's sealed personal and
contact details are opened in memory; names are screened against the current lists; matches an
analyst cleared for this person are looked up in one round trip and stop counting; velocity is
recorded and counted for the whole batch in one round trip; identity checks run; the fraud rule
tables turn the signals into a score and PASS, REVIEW or REJECT. REVIEW refers the application
(a watch-list hit always does: never approved automatically, and a person confirms before a
decline), REJECT ends it.

Nothing personal reaches the event: matches are named by list uid, signals by code, and the
descriptions state counts and limits, never values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from services.common.contracts import (
    ApplicationCase,
    Clearance,
    EarlyOutcome,
    FraudResult,
    FraudScreened,
    Reason,
    StageName,
    Topics,
    WatchlistBand,
    WatchlistMatch,
)
from services.common.contracts.stages import (
    MAX_MATCH_PARTS,
    MAX_PRINCIPAL_REASONS,
    MAX_STAGE_REASONS,
    MAX_WATCHLIST_MATCHES,
    FraudStatus,
)
from services.common.contracts.topics import TopicSpec
from services.common.fieldcrypto import FieldCipher
from services.common.logs import log_context
from services.common.runtime import Emit, Envelope
from services.fraud import facts as build
from services.fraud.allowlist import Clearance as StoredClearance
from services.fraud.identity import check_identity
from services.fraud.metrics import FraudMetrics
from services.fraud.policy import FraudAssessment, FraudFacts, FraudPolicy, Outcome
from services.fraud.ports import Clearances, Lists, Velocity
from services.fraud.watchlist.models import Match

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

_STATUS: dict[Outcome, FraudStatus] = {
    Outcome.PASS: "pass",
    Outcome.REVIEW: "refer",
    Outcome.REJECT: "reject",
}
_BAND: dict[str, WatchlistBand] = {
    "hit": WatchlistBand.HIGH,
    "review": WatchlistBand.MEDIUM,
    "none": WatchlistBand.NONE,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Screened:
    """One case's list matches, each with its clearance if an analyst gave one."""

    matches: list[tuple[Match, StoredClearance | None]]
    list_version: str

    @property
    def band(self) -> Literal["none", "review", "hit"]:
        counting = [match.band for match, cleared in self.matches if cleared is None]
        return "hit" if "hit" in counting else "review" if counting else "none"


class FraudHandler:
    def __init__(
        self,
        *,
        lists: Lists,
        velocity: Velocity,
        clearances: Clearances,
        policy: FraudPolicy,
        cipher: FieldCipher,
        stage_version: str,
        income_tolerance: float = 0.15,
        metrics: FraudMetrics | None = None,
        output: TopicSpec[FraudScreened] = Topics.FRAUD_SCREENED,
        clock: Clock = _utc_now,
    ) -> None:
        self._lists = lists
        self._velocity = velocity
        self._clearances = clearances
        self._policy = policy
        self._cipher = cipher
        self._stage_version = f"{stage_version}+rules.{policy.version}"
        self._income_tolerance = income_tolerance
        self._metrics = metrics or FraudMetrics()
        self._output = output
        self._clock = clock

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit]:
        now = self._clock()
        settled: dict[int, Emit] = {}
        live: list[tuple[int, Envelope[Any], build.Opened]] = []
        for position, envelope in enumerate(batch):
            case: ApplicationCase = envelope.value
            if case.ended_early:
                skipped = FraudResult(
                    status="skipped", completed_at=now, stage_version=self._stage_version
                )
                settled[position] = self._emit(envelope, case, skipped, None)
            else:
                # A case whose seal cannot be opened fails here, alone: the runtime retries
                # the batch event by event and dead-letters only that one.
                live.append((position, envelope, build.open_case(case, self._cipher)))
        if live:
            settled.update(self._screen(live, now))
        return [settled[position] for position in range(len(batch))]

    def _screen(
        self, live: list[tuple[int, Envelope[Any], build.Opened]], now: datetime
    ) -> dict[int, Emit]:
        screened = self._watchlist([opened for _, _, opened in live])
        counts = self._velocity.record_and_count([build.velocity_input(o) for _, _, o in live])
        emits = {}
        for (position, envelope, opened), found, count in zip(live, screened, counts, strict=True):
            with log_context(envelope.key, envelope.event.trace_id):
                velocity = self._velocity.signals(count)
                identity = check_identity(
                    build.identity_facts(opened), income_tolerance=self._income_tolerance
                )
                assessment = self._policy.assess(
                    FraudFacts(
                        watchlist_band=found.band,
                        velocity=tuple(signal.code for signal in velocity),
                        identity=tuple(f"{s.code}:{s.severity}" for s in identity),
                        mismatches=build.bureau_mismatches(opened.case),
                    )
                )
                self._audit_clearances(opened, found)
                emits[position] = self._decide(envelope, opened.case, found, assessment, now)
        return emits

    def _watchlist(self, opened: list[build.Opened]) -> list[_Screened]:
        watchlist = self._lists.current()  # one list version for the whole batch
        found = [watchlist.screen(build.screening_query(o)) for o in opened]
        pairs = [
            (o.case.application.identity.ssn_token, match.uid)
            for o, matches in zip(opened, found, strict=True)
            for match in matches
        ]
        cleared = self._clearances.lookup(pairs)
        return [
            _Screened(
                [
                    (match, cleared.get((o.case.application.identity.ssn_token, match.uid)))
                    for match in matches
                ],
                watchlist.version,
            )
            for o, matches in zip(opened, found, strict=True)
        ]

    def _audit_clearances(self, opened: build.Opened, found: _Screened) -> None:
        for _, clearance in found.matches:
            if clearance is not None:
                self._clearances.record_applied(str(opened.case.application_id), clearance)

    def _decide(
        self,
        envelope: Envelope[Any],
        case: ApplicationCase,
        found: _Screened,
        assessment: FraudAssessment,
        now: datetime,
    ) -> Emit:
        status = _STATUS[assessment.outcome]
        reasons = tuple(
            Reason(code=rule.reason_code, description=rule.description) for rule in assessment.fired
        )[:MAX_STAGE_REASONS]
        result = FraudResult(
            status=status,
            reasons=reasons,
            completed_at=now,
            stage_version=self._stage_version,
            fraud_score=assessment.score,
            watchlist_band=_BAND[found.band],
            watchlist_matches=tuple(_explained(m, c) for m, c in found.matches)[
                :MAX_WATCHLIST_MATCHES
            ],
            watchlist_version=found.list_version,
            fraud_rule_ids=(
                *dict.fromkeys(rule.rule_id for rule in assessment.fired),
                assessment.outcome_rule_id,
            ),
        )
        ended = None
        if status != "pass":
            ended = EarlyOutcome(
                outcome="reject" if status == "reject" else "refer",
                stage=StageName.FRAUD,
                reasons=reasons[:MAX_PRINCIPAL_REASONS],
                decided_at=now,
            )
        self._metrics.observe(result)
        log.info(
            "application screened",
            extra={
                "status": status,
                "fraud_score": assessment.score,
                "watchlist_band": found.band,
                "rules": result.fraud_rule_ids,
            },
        )
        return self._emit(envelope, case, result, ended)

    def _emit(
        self,
        envelope: Envelope[Any],
        case: ApplicationCase,
        result: FraudResult,
        ended: EarlyOutcome | None,
    ) -> Emit:
        updates: dict[str, Any] = {"fraud": result}
        if ended is not None:
            updates["early_outcome"] = ended
        return Emit.following(envelope, self._output, case.advance(FraudScreened, **updates))


def _explained(match: Match, cleared: StoredClearance | None) -> WatchlistMatch:
    parts = dict(list(match.parts.items())[:MAX_MATCH_PARTS])
    return WatchlistMatch(
        uid=match.uid,
        band=match.band,
        score=round(min(1.0, max(0.0, match.score)), 4),
        matched_alias=match.alias_type is not None,
        parts={name: round(value, 4) for name, value in parts.items()},
        cleared=(
            None
            if cleared is None
            else Clearance(cleared_by=cleared.cleared_by, cleared_at=cleared.cleared_at)
        ),
    )
