"""From a drafted decision to the facts its narrative may state and the passages that ground it.

The facts are the decision's own figures and reasons and the catalogue's disclosures, nothing
that identifies the applicant. The passages come from the policy knowledge base, searched with
the product and the reasons' texts, so the explanation of a high debt-to-income decline reads
the debt-to-income guidance.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.catalogue import Catalogue
from services.common.contracts.decision import DecisionOutcome, LoanDecision
from services.offers.narrative.facts import NarrativeFacts, OfferFacts, ReasonFacts
from services.offers.narrative.retrieval import Retriever

PASSAGES = 3


def narrative_facts(decision: LoanDecision, catalogue: Catalogue) -> NarrativeFacts:
    requested = decision.requested
    with_offers = decision.outcome in (DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED)
    return NarrativeFacts(
        outcome=decision.outcome,
        currency=requested.currency,
        requested_product=requested.product,
        requested_amount=requested.amount,
        requested_term_months=requested.term_months,
        reasons=tuple(
            ReasonFacts(code=reason.code, text=reason.text, action=reason.action)
            for reason in decision.reasons
        ),
        offers=tuple(
            OfferFacts(
                label=offer.label or "offer",
                product=offer.product,
                amount=offer.amount,
                term_months=offer.term_months,
                interest_rate=offer.interest_rate,
                apr=offer.apr,
                monthly_payment=offer.monthly_payment,
                total_interest=offer.total_interest,
                fees=offer.fees,
            )
            for offer in decision.offers[:3]
        ),
        disclosures=catalogue.disclosures if with_offers else catalogue.disclosures[:1],
    )


def passages_for(
    decision: LoanDecision, retriever: Retriever, k: int = PASSAGES
) -> Sequence[tuple[str, str]]:
    query = " ".join(
        [
            decision.requested.product.value,
            decision.outcome.value.replace("_", " "),
            *(reason.text for reason in decision.reasons),
        ]
    )
    return [(passage.id, passage.text) for passage in retriever.search(query, k)]
