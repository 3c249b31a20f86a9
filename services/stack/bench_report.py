"""The pipeline benchmark's figures as plots and a section of ``docs/benchmarks.md``.

The section sits between two marker comments and is replaced on each run, so the rest of the
hand-written document stays as it is; the plots go next to it in ``docs/img/``.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

START: Final = "<!-- pipeline-bench:start -->"
END: Final = "<!-- pipeline-bench:end -->"
HEADING: Final = "## The whole pipeline: `prescreen bench pipeline`"


def write_report(
    report: dict[str, Any],
    fixed_latencies_ms: Sequence[float],
    decision_times_s: Sequence[float],
    docs: Path,
) -> list[Path]:
    """Write the plots and the section; the files written."""
    images = docs / "img"
    images.mkdir(parents=True, exist_ok=True)
    written = [
        _stages_plot(report, images / "pipeline-stages.png"),
        _latency_plot(fixed_latencies_ms, report, images / "pipeline-latency.png"),
        _throughput_plot(decision_times_s, images / "pipeline-throughput.png"),
    ]
    target = docs / "benchmarks.md"
    text = target.read_text(encoding="utf-8") if target.exists() else "# Benchmarks\n"
    section = _section(report)
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = f"{before}{START}\n{section}{END}{after}"
    else:
        text = f"{text.rstrip()}\n\n{HEADING}\n\n{START}\n{section}{END}\n"
    target.write_text(text, encoding="utf-8")
    return [target, *written]


def _stages_plot(report: dict[str, Any], path: Path) -> Path:
    stages = report["full_speed"]["stages"]
    names = list(stages)
    p50 = [stages[name]["p50_ms"] or 0 for name in names]
    p99 = [stages[name]["p99_ms"] or 0 for name in names]
    figure, axis = plt.subplots(figsize=(7, 3.5))
    positions = range(len(names))
    axis.bar([p - 0.2 for p in positions], p50, width=0.4, label="p50")
    axis.bar([p + 0.2 for p in positions], p99, width=0.4, label="p99")
    axis.set_xticks(list(positions), names)
    axis.set_ylabel("ms in the stage (from the previous stage)")
    axis.set_title("Where the time goes, full speed")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _latency_plot(latencies: Sequence[float], report: dict[str, Any], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(7, 3.5))
    if latencies:
        shares = [(index + 1) / len(latencies) for index in range(len(latencies))]
        axis.plot(list(latencies), shares)
    axis.set_xlabel("ms from API acceptance to decision")
    axis.set_ylabel("share of applications")
    axis.set_title(f"Decision latency at {report['fixed_rate_per_s']:g} applications/s")
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _throughput_plot(times: Sequence[float], path: Path) -> Path:
    figure, axis = plt.subplots(figsize=(7, 3.5))
    if times:
        seconds = int(times[-1]) + 1
        per_second = [0] * seconds
        for moment in times:
            per_second[int(moment)] += 1
        axis.plot(range(seconds), per_second)
    axis.set_xlabel("s from the first publish")
    axis.set_ylabel("decisions per second")
    axis.set_title("Full speed: decisions arriving")
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _section(report: dict[str, Any]) -> str:
    full, stages = report["full_speed"], report["full_speed"]["stages"]
    fixed, rate = report["fixed_rate"], f"{report['fixed_rate_per_s']:g}"
    figures = [
        (f"applications/s, full speed (Kafka intake, {full['applications']} applications)",
         report["applications_per_s"]),
        ("latency p50 / p99 at full speed", f"{report['p50_ms']} / {report['p99_ms']} ms"),
        (f"latency p50 / p99 at {rate}/s through the API",
         f"{report['fixed_rate_p50_ms']} / {report['fixed_rate_p99_ms']} ms"),
        (f"pass-through ceiling, {report['ceiling']['hops']} hops, same broker",
         f"{report['ceiling_eps']} events/s"),
        ("ratio to the ceiling", report["ratio_to_ceiling"]),
        ("lost / duplicates at the fixed rate", f"{fixed['lost']} / {fixed['duplicates']}"),
    ]  # fmt: skip
    table = "\n".join(f"| {name} | {value} |" for name, value in figures)
    rows = "\n".join(
        f"| {name} | {values['p50_ms']} | {values['p99_ms']} | {values['mean_ms']} |"
        for name, values in stages.items()
    )
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count() or 0} CPUs"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""
Written by the last run of `prescreen bench pipeline` ({when}, {machine}); every service,
Kafka and Redis on that one machine.

| figure | value |
|---|---|
{table}

| stage | p50 ms | p99 ms | mean ms |
|---|---|---|---|
{rows}

![Where the time goes](img/pipeline-stages.png)
![Latency at a fixed rate](img/pipeline-latency.png)
![Decisions per second](img/pipeline-throughput.png)

"""
