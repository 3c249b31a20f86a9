"""``prescreen bench screening``: watch-list screening speed and quality on a synthetic list.

One run generates a list of ``list_size`` individuals in the SDN layout (about a third with
aliases) into a temporary directory and times loading it (parsing and indexing). It then
screens the labelled queries one at a time on one thread, timing each ``screen`` call:
p50/p99 latency and queries per second. Recall and precision are computed at the review and
at the hit threshold (see ``services.fraud.watchlist.evaluation``).

The **baseline** of the same run scores a sample of the same queries against every listed
name with the same scorer (``Watchlist.scan``): the cost the candidate index avoids, and how
often the full scan finds a different best entry than the indexed screen.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from services.common.heap import freeze_startup_heap
from services.fraud.watchlist.evaluation import band_quality, labelled_queries
from services.fraud.watchlist.matcher import Watchlist
from services.fraud.watchlist.models import Match, Thresholds
from services.fraud.watchlist.normalize import normalize_name
from services.fraud.watchlist.synthetic import generate_list, write_sdn

WARMUP_QUERIES = 200


def _percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))
    return sorted_values[index]


def run_screening_bench(
    list_size: int = 20_000,
    queries: int = 5_000,
    seed: int = 7,
    *,
    baseline_queries: int = 100,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen model, safe as a default
) -> dict[str, Any]:
    """Measure load time, per-query latency, recall and precision; see the module doc."""
    entries = generate_list(list_size, seed)
    labelled = labelled_queries(entries, queries, seed + 1)
    with tempfile.TemporaryDirectory(prefix="watchlist-bench-") as tmp:
        directory = Path(tmp)
        write_sdn(entries, directory, seed=seed)
        started = time.perf_counter()
        watchlist = Watchlist.from_directory(directory, thresholds)
        load_s = time.perf_counter() - started
    # What a service does once started: the list is long-lived, keep the collector off it.
    freeze_startup_heap()
    for item in labelled_queries(entries, min(WARMUP_QUERIES, queries), seed + 2):
        watchlist.screen(item.query)

    latencies: list[float] = []
    outcomes: list[tuple[str | None, list[Match]]] = []
    candidates = 0
    for item in labelled:
        started = time.perf_counter()
        matches = watchlist.screen(item.query)
        latencies.append(time.perf_counter() - started)
        outcomes.append((item.expected_uid, matches))
    for item in labelled[: min(len(labelled), 1_000)]:
        candidates += len(watchlist.index.candidates(normalize_name(item.query.name)))
    ordered = sorted(latencies)
    review = band_quality(outcomes, thresholds.review)
    hit = band_quality(outcomes, thresholds.hit)
    baseline_ms, agreement = _baseline(watchlist, labelled, baseline_queries)
    mean_ms = statistics.fmean(latencies) * 1000
    return {
        "list_size": list_size,
        "names_indexed": watchlist.size,
        "index_keys": watchlist.index.keys,
        "candidate_limit": watchlist.index.limit,
        "candidates_per_query": round(candidates / min(len(labelled), 1_000), 1),
        "load_s": round(load_s, 3),
        "queries": len(labelled),
        "true_variants": review.expected,
        "lookalikes": len(labelled) - review.expected,
        "p50_ms": round(_percentile(ordered, 0.50) * 1000, 3),
        "p99_ms": round(_percentile(ordered, 0.99) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(mean_ms, 3),
        "qps": round(len(latencies) / sum(latencies), 1),
        "recall": round(review.recall, 4),
        "precision": round(review.precision, 4),
        "review_threshold": thresholds.review,
        "recall_review": round(review.recall, 4),
        "precision_review": round(review.precision, 4),
        "hit_threshold": thresholds.hit,
        "recall_hit": round(hit.recall, 4),
        "precision_hit": round(hit.precision, 4),
        "returned_review": review.returned,
        "wrong_review": review.returned - review.correct,
        "baseline_queries": min(baseline_queries, len(labelled)),
        "baseline_scan_ms_per_query": round(baseline_ms, 3),
        "speedup_vs_scan": round(baseline_ms / mean_ms, 1) if baseline_ms and mean_ms else None,
        "baseline_same_best": round(agreement, 4),
        "seed": seed,
        "list_version": watchlist.version,
    }


def _baseline(watchlist: Watchlist, labelled: list[Any], count: int) -> tuple[float, float]:
    """Mean ms of a full scan per query, and the share of queries where the scan's best
    entry is the indexed screen's best entry (both empty counts as the same)."""
    sample = labelled[: max(0, count)]
    if not sample:
        return 0.0, 1.0
    spent = 0.0
    same = 0
    for item in sample:
        started = time.perf_counter()
        scanned = watchlist.scan(item.query)
        spent += time.perf_counter() - started
        screened = watchlist.screen(item.query)
        same += [m.uid for m in scanned[:1]] == [m.uid for m in screened[:1]]
    return spent / len(sample) * 1000, same / len(sample)
