"""The last stage: every scored case becomes one decision on ``loan.decisions.v1``.

Per batch: each case is decided (``decide.decide``); a case waiting for documents is passed
over (the documents stage re-emits it when the files arrive). Each decision's narrative is
written from its own facts and the policy passages they retrieve: by the language model when
one is configured and its text passes every check, else by the template. Model calls run side
by side (``narration_workers``) so one slow answer does not hold up the others, and each goes
through ``Once``, so a replayed batch reuses the stored text instead of paying again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol

from services.common.catalogue import Catalogue
from services.common.contracts import ApplicationCase, Topics
from services.common.contracts.decision import LoanDecision
from services.common.contracts.topics import TopicSpec
from services.common.logs import log_context
from services.common.runtime import Emit, Envelope
from services.offers.decide import Draft, decide
from services.offers.metrics import OffersMetrics
from services.offers.narration import narrative_facts, passages_for
from services.offers.narrative.narrator import NarrationOutcome, Narrator
from services.offers.narrative.retrieval import Retriever
from services.offers.options import Offerer
from services.offers.quotes.context import QuoteContext, context_of

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_NARRATIVE = 4000


class QuoteContexts(Protocol):
    """Where decisions with offers leave what the quote API needs (``QuoteContextStore``)."""

    def save_many(self, contexts: Iterable[QuoteContext]) -> int: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OffersHandler:
    def __init__(
        self,
        *,
        offerer: Offerer,
        narrator: Narrator,
        retriever: Retriever,
        offer_letter: bool = False,
        narration_workers: int = 1,
        contexts: QuoteContexts | None = None,
        metrics: OffersMetrics | None = None,
        output: TopicSpec[LoanDecision] = Topics.DECISIONS,
        clock: Clock = _utc_now,
    ) -> None:
        self._offerer = offerer
        self._catalogue: Catalogue = offerer.catalogue
        self._narrator = narrator
        self._retriever = retriever
        self._offer_letter = offer_letter
        self._workers = max(1, narration_workers)
        self._contexts = contexts
        self._metrics = metrics or OffersMetrics()
        self._output = output
        self._clock = clock

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit]:
        now = self._clock()
        drafts: list[tuple[Envelope[Any], Draft]] = []
        for envelope in batch:
            case: ApplicationCase = envelope.value
            with log_context(envelope.key, envelope.event.trace_id):
                draft = decide(case, self._offerer, now)
            if draft is None:
                self._metrics.waiting.inc()
            else:
                drafts.append((envelope, draft))
        decisions = self._narrate([draft.decision for _, draft in drafts])
        self._save_contexts(drafts, decisions)
        emits = []
        for (envelope, _), decision in zip(drafts, decisions, strict=True):
            self._metrics.observe(decision)
            with log_context(envelope.key, envelope.event.trace_id):
                log.info(
                    "application decided",
                    extra={
                        "outcome": decision.outcome.value,
                        "decided_by": decision.decided_by.value,
                        "offers": len(decision.offers),
                        "reason_codes": [reason.code for reason in decision.reasons],
                        "narrative_source": decision.narrative_source,
                        "revision": decision.revision,
                    },
                )
            emits.append(Emit.following(envelope, self._output, decision))
        return emits

    def _save_contexts(
        self, drafts: list[tuple[Envelope[Any], Draft]], decisions: list[LoanDecision]
    ) -> None:
        """What the quote API recomputes offers from, for every decision with offers. Saved
        before the batch commits: a replay saves the same again."""
        if self._contexts is None:
            return
        contexts = [
            context_of(
                envelope.value,
                decision.outcome,
                None,  # the API asks the status store who owns the application
                decided_at=decision.decided_at,
                catalogue_version=decision.catalogue_version or self._catalogue.version,
            )
            for (envelope, _), decision in zip(drafts, decisions, strict=True)
            if decision.offers
        ]
        if contexts:
            self._contexts.save_many(contexts)

    def _narrate(self, decisions: list[LoanDecision]) -> list[LoanDecision]:
        if self._workers == 1 or len(decisions) <= 1 or self._narrator.model_id is None:
            return [self._narrated(decision) for decision in decisions]
        with ThreadPoolExecutor(max_workers=min(self._workers, len(decisions))) as pool:
            return list(pool.map(self._narrated, decisions))

    def _narrated(self, decision: LoanDecision) -> LoanDecision:
        facts = narrative_facts(decision, self._catalogue)
        passages = passages_for(decision, self._retriever)
        explained = self._narrator.narrate_with_outcome(facts, "explanation", passages=passages)
        self._metrics.narrated(explained)
        parts: list[NarrationOutcome] = [explained]
        if self._offer_letter and facts.offers:
            letter = self._narrator.narrate_with_outcome(facts, "offer_letter", passages=passages)
            self._metrics.narrated(letter)
            parts.append(letter)
        text = "\n\n".join(part.narrative.text for part in parts)[:MAX_NARRATIVE]
        # One model-written part is not enough to call the whole text the model's.
        llm = all(part.narrative.source == "llm" for part in parts)
        return decision.model_copy(
            update={
                "narrative": text,
                "narrative_source": "llm" if llm else "template",
                "catalogue_version": self._catalogue.version,
            }
        )
