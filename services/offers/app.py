"""Wiring only: settings, catalogue, rules, narrator, knowledge base, handler, runtime.

Run as a process with ``python -m services.offers.app``.
"""

from __future__ import annotations

import boto3
import redis

from services.common.catalogue import load_catalogue
from services.common.contracts import Topics
from services.common.contracts.decision import LoanDecision
from services.common.contracts.topics import TopicSpec
from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.offers.eligibility import ProductRules
from services.offers.handler import OffersHandler
from services.offers.metrics import OffersMetrics
from services.offers.narrative.knowledge_bases import BedrockKnowledgeBase
from services.offers.narrative.narrator import Narrator
from services.offers.narrative.retrieval import KnowledgeBase, Retriever, default_knowledge_base
from services.offers.narrative.settings import NarrativeSettings
from services.offers.options import Offerer
from services.offers.quotes.context import QuoteContextStore
from services.offers.settings import OffersSettings

SERVICE = "offers"


def build_handler(
    settings: OffersSettings,
    client: redis.Redis,
    redis_settings: RedisSettings,
    metrics: OffersMetrics | None = None,
    *,
    narrative: NarrativeSettings | None = None,
    output: TopicSpec[LoanDecision] = Topics.DECISIONS,
) -> OffersHandler:
    narrative = narrative or NarrativeSettings()
    once = Once(
        client, prefix=f"{redis_settings.key_prefix}:{SERVICE}", lease_s=settings.narrative_lease_s
    )
    knowledge = (
        default_knowledge_base()
        if settings.knowledge_dir is None
        else KnowledgeBase.load(settings.knowledge_dir)
    )
    retriever: Retriever = knowledge
    if narrative.knowledge_base_id is not None:
        agent = boto3.session.Session().client(
            "bedrock-agent-runtime",
            region_name=narrative.region,
            endpoint_url=narrative.agent_endpoint_url,
            config=narrative.botocore_config(),
        )
        retriever = BedrockKnowledgeBase(agent, narrative.knowledge_base_id, fallback=knowledge)
    return OffersHandler(
        offerer=Offerer(ProductRules(load_catalogue(settings.catalogue_file))),
        narrator=Narrator.from_settings(narrative, once=once),
        retriever=retriever,
        offer_letter=settings.offer_letter,
        narration_workers=narrative.concurrency,
        contexts=QuoteContextStore(
            client,
            prefix=redis_settings.key_prefix,
            ttl_s=int(settings.quote_context_days * 24 * 3600),
        ),
        metrics=metrics,
        output=output,
    )


def main() -> None:
    settings = OffersSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    metrics = OffersMetrics()
    runtime = StageRuntime(
        service=SERVICE,  # the only writer of loan.decisions.v1
        inputs=[Topics.by_name(settings.input_topic)],
        handler=build_handler(settings, client, redis_settings, metrics),
        redis_client=client,
        redis_settings=redis_settings,
        metrics_registry=metrics.registry,
    )
    runtime.install_signal_handlers()
    runtime.run()


if __name__ == "__main__":
    main()
