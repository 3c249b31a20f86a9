"""``prescreen bench``: benchmarks that measure their own baseline in the same run."""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
import typer

from services.common.bench.ingest_bench import IngestBenchConfig, run_ingest_bench
from services.common.bench.runtime_bench import RuntimeBenchConfig, run_runtime_bench
from services.common.infra.ports import is_loopback_host

app = typer.Typer(help="Benchmarks; each prints its figures and the baseline of the same run.")


@app.command("runtime")
def runtime(
    events: Annotated[int, typer.Option(min=100, help="Events per measured phase.")] = 50_000,
    hops: Annotated[int, typer.Option(min=1, max=20, help="Pass-through stages in the chain.")] = 5,
    payload_bytes: Annotated[int, typer.Option(min=0, help="Padding per event (~1 KB).")] = 900,
    partitions: Annotated[int, typer.Option(min=1, help="Partitions per topic.")] = 3,
    batch: Annotated[int, typer.Option(min=1, help="Max events per batch/transaction.")] = 500,
    fixed_rate_fraction: Annotated[
        float, typer.Option(min=0.05, max=1.0, help="Fixed-rate phase speed, of the full speed.")
    ] = 0.5,
    dedup: Annotated[bool, typer.Option(help="Redis business-duplicate marks on.")] = True,
    warmup: Annotated[
        float, typer.Option(min=0, help="Seconds of untimed traffic before measuring.")
    ] = 45.0,
    compression: Annotated[
        str, typer.Option(help="Producer compression of every stage: none, lz4, zstd, ...")
    ] = "lz4",
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Use this broker (loopback only); default: start a private one."),
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis; default: private.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Throughput and latency of a pass-through chain against the raw broker."""
    config = RuntimeBenchConfig(
        events=events,
        hops=hops,
        payload_bytes=payload_bytes,
        partitions=partitions,
        batch_max_events=batch,
        fixed_rate_fraction=fixed_rate_fraction,
        dedup=dedup,
        compression=compression,
        warmup_s=warmup,
    )
    if compression not in {"none", "gzip", "snappy", "lz4", "zstd"}:
        raise typer.BadParameter("compression must be none, gzip, snappy, lz4 or zstd")
    bootstrap, redis_url = _servers(bootstrap, redis_url)
    result = run_runtime_bench(config, bootstrap=bootstrap, redis_url=redis_url)
    _report(result, json_output)


@app.command("ingest")
def ingest(
    requests: Annotated[int, typer.Option(min=1, help="Requests per full-speed phase.")] = 20_000,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight.")] = 64,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Server worker processes; default: one per core.")
    ] = None,
    load_processes: Annotated[
        int, typer.Option(min=1, help="Load-generator processes sharing the concurrency.")
    ] = 1,
    fixed_rate: Annotated[
        float, typer.Option(min=0.1, help="Requests per second of the fixed-rate phase.")
    ] = 500.0,
    fixed_rate_seconds: Annotated[
        float, typer.Option(min=1.0, help="Length of the fixed-rate phase.")
    ] = 20.0,
    warmup: Annotated[
        float, typer.Option(min=0, help="Seconds of untimed submissions before measuring.")
    ] = 20.0,
    idempotency_keys: Annotated[
        bool, typer.Option(help="Send a distinct Idempotency-Key with every submission.")
    ] = False,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Use this broker (loopback only); default: start a private one."),
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis; default: private.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Accepted applications per second through the HTTP API against a trivial route."""
    try:
        config = IngestBenchConfig(
            requests=requests,
            concurrency=concurrency,
            workers=workers or os.cpu_count() or 1,
            load_processes=load_processes,
            fixed_rate=fixed_rate,
            fixed_rate_seconds=fixed_rate_seconds,
            warmup_s=warmup,
            idempotency_keys=idempotency_keys,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    bootstrap, redis_url = _servers(bootstrap, redis_url)
    result = run_ingest_bench(config, bootstrap=bootstrap, redis_url=redis_url)
    _report(result, json_output)


def _report(result: dict[str, Any], json_output: bool) -> None:
    """One JSON object as the last line, or one aligned line per figure."""
    if json_output:
        typer.echo(orjson.dumps(result).decode())
        return
    width = max((len(name) for name in result), default=0)
    for name, value in result.items():
        typer.echo(f"{name:>{width}}: {value}")


def _servers(bootstrap: str | None, redis_url: str | None) -> tuple[str | None, str | None]:
    """Both servers from the options or the environment, or neither; loopback only."""
    bootstrap = bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    redis_url = redis_url or os.environ.get("REDIS_URL")
    if bool(bootstrap) != bool(redis_url):
        raise typer.BadParameter(
            "give both a broker and a Redis URL (options or KAFKA_BOOTSTRAP_SERVERS/REDIS_URL), "
            "or neither to start private ones"
        )
    for address in (bootstrap, redis_url):
        if address and not _is_loopback(address):
            raise typer.BadParameter(f"benchmarks only run against loopback servers: {address}")
    return bootstrap, redis_url


def _is_loopback(address: str) -> bool:
    """True when every host in a bootstrap list or URL is a loopback address."""
    hosts = []
    for part in address.split(","):
        netloc = urlsplit(part if "://" in part else f"//{part}").hostname or ""
        hosts.append(netloc)
    return all(is_loopback_host(host) for host in hosts)


@app.command("scoring")
def scoring(
    training_rows: Annotated[
        int, typer.Option(min=1_000, help="Rows of the generated training table.")
    ] = 20_000,
    batch_rows: Annotated[int, typer.Option(min=1_000, help="Rows scored in one batch.")] = 100_000,
    single_calls: Annotated[int, typer.Option(min=100, help="One-row scoring calls.")] = 5_000,
    stage_events: Annotated[
        int, typer.Option(min=100, help="Events through the scoring handler.")
    ] = 5_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated tables.")] = 7,
    deep_reference: Annotated[
        bool,
        typer.Option(help="Also time TreeSHAP on a 400-tree, depth-5 model, for reference."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Model scoring in batches and one row at a time, reasons for declines, the stage."""
    from services.scoring.bench import ScoringBenchConfig, run_scoring_bench

    report = run_scoring_bench(
        ScoringBenchConfig(
            training_rows=training_rows,
            batch_rows=batch_rows,
            single_calls=single_calls,
            stage_events=stage_events,
            seed=seed,
            deep_reference=deep_reference,
        )
    )
    if as_json:
        typer.echo(orjson.dumps(report).decode())
        return
    for name, figures in report["models"].items():
        typer.echo(
            f"{name:9} batch {figures['batch_rows_per_s']:>9,} rows/s "
            f"(bare model {figures['baseline_batch_rows_per_s']:,})  "
            f"single p99 {figures['single_p99_ms']} ms  "
            f"reasons {figures['reasons_rows_per_s']:,} declines/s  "
            f"stage {figures['stage_eps']:,} applications/s  "
            f"contributions {figures['contributions_us_per_row']} µs/row"
        )
    reference = report["reasons_deep_reference"]
    if reference:
        typer.echo(
            f"reference {reference['trees']} trees of depth {reference['depth']}: "
            f"contributions {reference['contributions_us_per_row']} µs/row"
        )


@app.command("offers")
def offers(
    quotes: Annotated[int, typer.Option(min=100, help="Quotes per measured path.")] = 5_000,
    stage_events: Annotated[
        int, typer.Option(min=100, help="Applications through scoring and offers.")
    ] = 5_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated data.")] = 7,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Use this broker (loopback only); default: start a private one."),
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis; default: private.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Real-time quotes (p99) and the offers stage against the scoring stage in the same run."""
    from services.common.bench.servers import bench_servers
    from services.offers.bench import OffersBenchConfig, run_offers_bench

    config = OffersBenchConfig(quotes=quotes, stage_events=stage_events, seed=seed)
    bootstrap, redis_url = _servers(bootstrap, redis_url)
    with bench_servers(bootstrap, redis_url, prefix="prescreen-bench-offers-") as servers:
        report = run_offers_bench(config, redis_url=servers[1])
    _report(report, as_json)


@app.command("notifier")
def notifier(
    decisions: Annotated[
        int, typer.Option(min=100, help="Decisions waiting on the topic (full-speed phase).")
    ] = 20_000,
    fixed_rate: Annotated[
        float, typer.Option(min=1, help="Decisions per second in the fixed-rate phase.")
    ] = 500.0,
    fixed_rate_s: Annotated[float, typer.Option(min=1, help="Length of that phase.")] = 20.0,
    workers: Annotated[int, typer.Option(min=1, help="Deliveries in flight per instance.")] = 16,
    instances: Annotated[
        int, typer.Option(min=1, max=6, help="Stage processes in one consumer group.")
    ] = 1,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Use this broker (loopback only); default: start a private one."),
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis; default: private.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Webhook deliveries per second and publish-to-receiver p99, against a direct baseline."""
    from services.common.bench.servers import bench_servers
    from services.notifier.bench import NotifierBenchConfig, run_notifier_bench

    config = NotifierBenchConfig(
        decisions=decisions,
        fixed_rate_per_s=fixed_rate,
        fixed_rate_s=fixed_rate_s,
        workers=workers,
        instances=instances,
    )
    bootstrap, redis_url = _servers(bootstrap, redis_url)
    with bench_servers(bootstrap, redis_url, prefix="prescreen-bench-notifier-") as servers:
        report = run_notifier_bench(
            config, bootstrap=servers[0], redis_url=servers[1], workdir=servers[2]
        )
    _report(report, as_json)


@app.command("pipeline")
def pipeline(
    count: Annotated[
        int, typer.Option(min=100, help="Applications in the full-speed phase.")
    ] = 5_000,
    fixed_rate: Annotated[
        float, typer.Option(min=1, help="Applications per second through the API.")
    ] = 500.0,
    fixed_rate_s: Annotated[float, typer.Option(min=1, help="Length of that phase.")] = 20.0,
    ceiling_events: Annotated[
        int, typer.Option(min=1_000, help="Events through the pass-through chain.")
    ] = 20_000,
    write_docs: Annotated[
        bool, typer.Option(help="Write the figures and plots into docs/benchmarks.md.")
    ] = True,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Use this broker (loopback only); default: start a private one."),
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis; default: private.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Applications through every stage at full speed and at a fixed rate, per-stage
    latency, and the runtime's pass-through ceiling measured in the same run."""
    from services.common.bench.servers import bench_servers
    from services.common.infra.paths import repo_root
    from services.stack.bench import PipelineBenchConfig, run_pipeline_bench
    from services.stack.bench_report import write_report

    config = PipelineBenchConfig(
        count=count,
        fixed_rate_per_s=fixed_rate,
        fixed_rate_s=fixed_rate_s,
        ceiling_events=ceiling_events,
    )
    bootstrap, redis_url = _servers(bootstrap, redis_url)
    with bench_servers(bootstrap, redis_url, prefix="prescreen-bench-pipeline-") as servers:
        result = run_pipeline_bench(
            config, bootstrap=servers[0], redis_url=servers[1], workdir=servers[2]
        )
    if write_docs:
        write_report(
            result.report,
            result.fixed_rate_latencies_ms,
            result.decision_times_s,
            repo_root() / "docs",
        )
    _report(result.report, as_json)


@app.command("screening")
def screening(
    list_size: Annotated[
        int, typer.Option(min=100, help="Individuals on the generated SDN-layout list.")
    ] = 20_000,
    queries: Annotated[
        int, typer.Option(min=10, help="Labelled queries, screened one at a time.")
    ] = 5_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the list and the queries.")] = 7,
    baseline_queries: Annotated[
        int, typer.Option(min=0, help="Queries also scored against every name (baseline).")
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Watch-list screening: latency per query, recall and precision, against a full scan."""
    from services.fraud.bench import run_screening_bench

    report = run_screening_bench(
        list_size=list_size, queries=queries, seed=seed, baseline_queries=baseline_queries
    )
    if as_json:
        typer.echo(orjson.dumps(report).decode())
        return
    typer.echo(
        f"list      {report['list_size']:,} entries, {report['names_indexed']:,} names, "
        f"loaded and indexed in {report['load_s']} s"
    )
    typer.echo(
        f"screen    {report['queries']:,} queries: p50 {report['p50_ms']} ms, "
        f"p99 {report['p99_ms']} ms, {report['qps']:,} queries/s on one thread"
    )
    if report["speedup_vs_scan"]:
        typer.echo(
            f"baseline  full scan {report['baseline_scan_ms_per_query']} ms/query "
            f"({report['speedup_vs_scan']}x the indexed screen)"
        )
    for band in ("review", "hit"):
        typer.echo(
            f"{band:9} threshold {report[f'{band}_threshold']}: "
            f"recall {report[f'recall_{band}']}, precision {report[f'precision_{band}']}"
        )
