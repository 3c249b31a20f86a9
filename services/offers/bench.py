"""``prescreen bench offers``: quotes and the offers stage, against the scoring stage.

One run:

- **quotes** — the real-time quote path (``quotes.bench``): quotes per second and p50/p99
  latency through the quote API's ASGI app with its Redis (the top-level figures), and the
  computation alone, with a bare ``price()`` and the app's ``/healthz`` as baselines;
- **stage** — realistic applications (generated, accepted by ingest's own code, screened) are
  scored by the scoring handler with a freshly trained XGBoost model, then decided by the offers
  handler with template narratives, in batches. The scoring handler's rate on the same events in
  the same run is the baseline: "keeps pace" means the offers stage decides at least as many
  applications per second as scoring scores. Both are the best of five alternating passes;
  Kafka and Redis are left out of both (the runtime benchmark measures the transport on its own).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.catalogue import load_catalogue
from services.common.contracts import Scored, Topics
from services.common.contracts.decision import LoanDecision
from services.common.heap import freeze_startup_heap
from services.common.runtime import Emit, Envelope
from services.common.runtime.cloudevents import CloudEvent
from services.offers.eligibility import ProductRules
from services.offers.handler import OffersHandler
from services.offers.narrative.narrator import Narrator
from services.offers.narrative.retrieval import default_knowledge_base
from services.offers.options import Offerer
from services.offers.quotes.bench import bench_quotes
from services.scoring.bench import training_table
from services.scoring.data.generator import generate
from services.scoring.stage_bench import bench_handler, fraud_screened_events
from services.scoring.training.artifact import load_artifact, write_artifact
from services.scoring.training.spec import builtin_spec, load_spec
from services.scoring.training.train import train


@dataclass(frozen=True)
class OffersBenchConfig:
    quotes: int = 5_000
    stage_events: int = 5_000
    batch_size: int = 500
    training_rows: int = 10_000
    seed: int = 7
    passes: int = 5


def _timed_pass(
    handler: Callable[[Sequence[Envelope[Any]]], list[Emit]],
    envelopes: Sequence[Envelope[Any]],
    batch_size: int,
) -> tuple[float, list[Emit]]:
    emitted: list[Emit] = []
    started = time.perf_counter()
    for start in range(0, len(envelopes), batch_size):
        emitted.extend(handler(envelopes[start : start + batch_size]))
    return time.perf_counter() - started, emitted


def _scored_envelopes(emits: Sequence[Emit]) -> list[Envelope[Any]]:
    envelopes = []
    for offset, emit in enumerate(emits):
        value = emit.value
        assert isinstance(value, Scored)
        envelopes.append(
            Envelope(
                topic=Topics.SCORED.name,
                partition=0,
                offset=offset,
                key=emit.key,
                value=value,
                event=CloudEvent.new(type=Topics.SCORED.ce_type, source="bench", subject=emit.key),
            )
        )
    return envelopes


def run_offers_bench(config: OffersBenchConfig, *, redis_url: str | None) -> dict[str, Any]:
    """``redis_url``: the quote API reads decisions' contexts and rate-limits there, as it does
    in production; None keeps them in memory."""
    quotes = bench_quotes(config.quotes, redis_url=redis_url, seed=config.seed)
    generated = generate(max(config.stage_events * 2, 2_000), config.seed + 1)
    events = fraud_screened_events(generated, config.stage_events)
    spec = load_spec(builtin_spec("loan-default"))
    training = training_table(config.training_rows, config.seed)
    with tempfile.TemporaryDirectory(prefix="prescreen-bench-offers-") as workdir:
        result = train(spec, training, folds=2, seed=config.seed, candidates=("xgboost",))
        model = load_artifact(write_artifact(result, Path(workdir) / "xgboost"))
    scoring = bench_handler(model)
    offers = OffersHandler(
        offerer=Offerer(ProductRules(load_catalogue())),
        narrator=Narrator(),
        retriever=default_knowledge_base(),
    )
    _, scored = _timed_pass(scoring, events, config.batch_size)  # warms caches, makes the cases
    cases = _scored_envelopes(scored)
    offers(cases[: config.batch_size])
    freeze_startup_heap()
    # Passes alternate, so a slow spell of the machine slows both handlers, not just one; the
    # best pass of each is the closest to what it costs.
    scoring_s = offers_s = float("inf")
    decided: list[Emit] = []
    for _ in range(config.passes):
        elapsed, _ = _timed_pass(scoring, events, config.batch_size)
        scoring_s = min(scoring_s, elapsed)
        elapsed, decided = _timed_pass(offers, cases, config.batch_size)
        offers_s = min(offers_s, elapsed)
    scoring_eps, offers_eps = len(events) / scoring_s, len(cases) / offers_s
    outcomes: Counter[str] = Counter()
    for emit in decided:
        assert isinstance(emit.value, LoanDecision)
        outcomes[emit.value.outcome.value] += 1
    return {
        # Through the quote API's ASGI app, one request at a time (the slider's case).
        "quotes_per_s": quotes["asgi"]["per_s"],
        "quote_p99_ms": quotes["asgi"]["p99_ms"],
        "stage_eps": round(offers_eps),
        "baseline_scoring_stage_eps": round(scoring_eps),
        "keeps_pace": offers_eps >= scoring_eps,
        "stage_events": len(cases),
        "stage_outcomes": dict(sorted(outcomes.items())),
        "quotes": quotes,
    }
