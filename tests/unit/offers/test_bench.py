"""The offers benchmark's report: the figures the issue names, from real work."""

from __future__ import annotations

from services.offers.bench import OffersBenchConfig, run_offers_bench


def test_a_small_run_reports_quotes_and_both_stages() -> None:
    config = OffersBenchConfig(
        quotes=100, stage_events=200, batch_size=100, training_rows=2_000, passes=1
    )
    report = run_offers_bench(config, redis_url=None)
    assert report["quotes_per_s"] > 0 and report["quote_p99_ms"] > 0
    assert report["stage_eps"] > 0 and report["baseline_scoring_stage_eps"] > 0
    assert isinstance(report["keeps_pace"], bool)
    assert sum(report["stage_outcomes"].values()) == report["stage_events"] == 200
    assert report["quotes"]["asgi"]["context_store"] == "memory"
    assert report["quotes"]["baseline_price"]["count"] == 100
