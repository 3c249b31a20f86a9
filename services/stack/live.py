"""``prescreen up --demo``: a steady stream of synthetic applications and a live terminal view.

A thread submits applications at a fixed rate through the ingest API; the main thread reads
the decisions from ``loan.decisions.v1`` and redraws a small table: how many were submitted and
decided, the outcomes, the approval rate, the latency from acceptance to decision, and the
latest decisions (ids and outcomes only, no personal data). Ctrl-C ends it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field

import httpx
import orjson
from rich.console import Group
from rich.live import Live
from rich.table import Table

from services.common.contracts.decision import LoanDecision
from services.stack.demo import API_KEY_HEADER, DecisionWatcher
from services.stack.secrets import StackSecrets
from services.stack.services import LOOPBACK
from services.stack.supervisor import Stack
from services.stack.synthetic import synthetic_applications

_CHUNK = 500


@dataclass
class _Tally:
    submitted: int = 0
    refused: int = 0
    decided: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=2_000))
    latest: deque[LoanDecision] = field(default_factory=lambda: deque(maxlen=10))
    accepted_at: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _submitter(
    stack: Stack, api_key: str, rate_per_s: float, tally: _Tally, stop: threading.Event
) -> None:
    url = f"http://{LOOPBACK}:{stack.settings.ingest_port}/v1/applications"
    headers = {API_KEY_HEADER: api_key, "Content-Type": "application/json"}
    run = uuid.uuid4().hex[:8]
    started, sent, chunk = time.monotonic(), 0, 0
    with httpx.Client(headers=headers, timeout=30, trust_env=False) as client:
        while not stop.is_set():
            batch = synthetic_applications(_CHUNK, seed=chunk, run=f"{run}-{chunk}")
            chunk += 1
            for application in batch:
                if stop.is_set():
                    return
                ahead = sent / rate_per_s - (time.monotonic() - started)
                if ahead > 0:
                    stop.wait(ahead)
                sent += 1
                try:
                    answer = client.post(url, content=orjson.dumps(application.body))
                except httpx.HTTPError:
                    answer = None
                with tally.lock:
                    if answer is not None and answer.status_code == 202:
                        tally.submitted += 1
                        tally.accepted_at[application.application_id] = time.time()
                    else:
                        tally.refused += 1


def _view(tally: _Tally, rate_per_s: float) -> Group:
    with tally.lock:
        latencies = sorted(tally.latencies_ms)
        decided = tally.decided
        approved = tally.outcomes["approved"] + tally.outcomes["counter_offered"]
        summary = Table(title=f"loan-prescreen demo — {rate_per_s:g} applications/s")
        for column in ("submitted", "decided", "approved", "counter", "declined", "referred"):
            summary.add_column(column, justify="right")
        summary.add_column("approval rate", justify="right")
        summary.add_column("p50 / p99 ms", justify="right")
        rate = f"{approved / decided:.0%}" if decided else "-"
        p50 = f"{latencies[len(latencies) // 2]:.0f}" if latencies else "-"
        p99 = (
            f"{latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]:.0f}"
            if latencies
            else "-"
        )
        summary.add_row(
            str(tally.submitted),
            str(decided),
            str(tally.outcomes["approved"]),
            str(tally.outcomes["counter_offered"]),
            str(tally.outcomes["declined"]),
            str(tally.outcomes["referred"]),
            rate,
            f"{p50} / {p99}",
        )
        latest = Table(title="latest decisions")
        for column in ("application", "product", "amount", "outcome", "reasons"):
            latest.add_column(column)
        for decision in reversed(tally.latest):
            latest.add_row(
                str(decision.application_id)[:8],
                decision.requested.product.value,
                f"{decision.requested.amount:,.0f}",
                decision.outcome.value,
                ", ".join(reason.code for reason in decision.reasons[:2]),
            )
    return Group(summary, latest)


def run_live_demo(stack: Stack, *, rate_per_s: float) -> None:
    """Until Ctrl-C (``KeyboardInterrupt`` propagates to the caller, which stops the stack)."""
    endpoints = stack.endpoints()
    if endpoints is None:
        raise RuntimeError("the stack is not up")
    secrets = StackSecrets.load_or_create(stack.state_dir)
    tally, stop = _Tally(), threading.Event()
    submitter = threading.Thread(
        target=_submitter,
        args=(stack, secrets.api_key.get_secret_value(), rate_per_s, tally, stop),
        daemon=True,
    )
    watcher = DecisionWatcher(endpoints.bootstrap)
    submitter.start()
    try:
        with Live(_view(tally, rate_per_s), refresh_per_second=4) as live:
            while True:
                for decision in watcher.poll(0.25):
                    key = str(decision.application_id)
                    with tally.lock:
                        accepted = tally.accepted_at.pop(key, None)
                        if accepted is None:
                            continue
                        tally.decided += 1
                        tally.outcomes[decision.outcome.value] += 1
                        tally.latencies_ms.append((time.time() - accepted) * 1000)
                        tally.latest.append(decision)
                live.update(_view(tally, rate_per_s))
    finally:
        stop.set()
        submitter.join(timeout=10)
        watcher.close()
