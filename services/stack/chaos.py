"""``prescreen chaos``: break the running platform while applications flow, then count.

A stack of its own (Kafka and a persistent Redis on free loopback ports) takes a steady stream
of synthetic applications through the ingest API. One scenario after the other:

- ``kill-stages``: every Kafka stage SIGKILLed mid-stream and restarted, ``rounds`` times;
- ``restart-broker``: Kafka stopped and started again;
- ``restart-redis``: Redis stopped and started again;
- ``pause-stage``: the scoring stage SIGSTOPped for longer than its session timeout, so its
  partitions move to nobody and back, then SIGCONTed.

Each accepted application is tagged with the scenario running when the API accepted it. A
reader follows ``loan.decisions.v1`` (``read_committed``) the whole time. At the end every
application must have exactly one decision: per scenario and in all, ``lost`` counts those
without one and ``duplicates`` the extra ones. A submission the API refused while something was
down (503, a dropped connection) is retried under the same application id; a 409 on that retry
means the first attempt had been accepted after all.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from services.common.infra.ports import free_port_run, free_ports
from services.stack.demo import API_KEY_HEADER, DecisionWatcher
from services.stack.secrets import StackSecrets
from services.stack.services import LOOPBACK
from services.stack.settings import StackSettings
from services.stack.supervisor import Stack
from services.stack.synthetic import synthetic_applications

KAFKA_STAGES = ("ingest-intake", "documents", "fraud", "scoring", "offers", "notifier-status")
SESSION_TIMEOUT_S = 10.0
"""The runtime's consumer ``session.timeout.ms``: a pause past it forces a rebalance."""


@dataclass(frozen=True)
class ChaosConfig:
    rate_per_s: float = 30.0
    rounds: int = 2
    settle_s: float = 8.0
    timeout_s: float = 600.0
    seed: int = 17


@dataclass
class _Load:
    scenario: str = "warm-up"
    accepted: dict[str, str] = field(default_factory=dict)
    """application id -> scenario it was accepted in"""
    retries: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _submit(base_url: str, api_key: str, rate_per_s: float, load: _Load, seed: int) -> None:
    headers = {API_KEY_HEADER: api_key, "Content-Type": "application/json"}
    started, sent, chunk = time.monotonic(), 0, 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=10, trust_env=False) as client:
        while not load.stop.is_set():
            batch = synthetic_applications(300, seed=seed + chunk, run=f"chaos{seed}-{chunk}")
            chunk += 1
            for application in batch:
                ahead = sent / rate_per_s - (time.monotonic() - started)
                if ahead > 0 and load.stop.wait(ahead):
                    return
                sent += 1
                body = orjson.dumps(application.body)
                scenario = load.scenario
                if _accepted(client, body, load):
                    with load.lock:
                        load.accepted[application.application_id] = scenario
                if load.stop.is_set():
                    return


def _accepted(client: httpx.Client, body: bytes, load: _Load) -> bool:
    """Submit until the API gives a definite answer; whether the application is in."""
    for attempt in range(60):
        try:
            status = client.post("/v1/applications", content=body).status_code
        except httpx.HTTPError:
            status = None
        if status == 202:
            return True
        if status == 409 and attempt > 0:
            return True  # an earlier attempt got in, though its answer was lost
        if status is not None and status < 500 and status != 429:
            return False
        load.retries += 1
        if load.stop.wait(0.5):
            return False
    return False


def _follow(watcher: DecisionWatcher, seen: Counter[str], stop: threading.Event) -> None:
    while not stop.is_set():
        for decision in watcher.poll(0.5):
            seen[str(decision.application_id)] += 1


def _scenarios(stack: Stack, config: ChaosConfig) -> list[tuple[str, Callable[[], list[str]]]]:
    def kill_stages() -> list[str]:
        done = []
        for round_ in range(config.rounds):
            for name in KAFKA_STAGES:
                stack.kill(name)
                time.sleep(1.0)
                stack.restart(name)
                done.append(f"round {round_ + 1}: killed and restarted {name}")
        return done

    def restart_broker() -> list[str]:
        stack.infra.kafka.stop()
        time.sleep(3.0)
        stack.infra.kafka.start(timeout=120)
        return ["stopped and started Kafka"]

    def restart_redis() -> list[str]:
        stack.infra.redis.stop()
        time.sleep(3.0)
        stack.infra.redis.start(timeout=60)
        return ["stopped and started Redis"]

    def pause_stage() -> list[str]:
        stack.signal("scoring", signal.SIGSTOP)
        time.sleep(SESSION_TIMEOUT_S + 5.0)
        stack.signal("scoring", signal.SIGCONT)
        return [f"scoring stopped for {SESSION_TIMEOUT_S + 5.0:g} s, then continued"]

    return [
        ("kill-stages", kill_stages),
        ("restart-broker", restart_broker),
        ("restart-redis", restart_redis),
        ("pause-stage", pause_stage),
    ]


def run_chaos(config: ChaosConfig, workdir: Path) -> dict[str, Any]:
    kafka, controller, redis, ingest, quotes, dashboard = free_ports(6)
    stack = Stack(
        StackSettings(
            state_dir=workdir / "stack",
            kafka_port=kafka,
            kafka_controller_port=controller,
            redis_port=redis,
            ingest_port=ingest,
            quotes_port=quotes,
            dashboard_port=dashboard,
            health_base_port=free_port_run(7),
            redis_key_prefix=f"chaos-{uuid.uuid4().hex[:8]}",
        )
    )
    load, seen, reading = _Load(), Counter[str](), threading.Event()
    actions: dict[str, list[str]] = {}
    try:
        stack.up()
        endpoints = stack.endpoints()
        assert endpoints is not None
        api_key = StackSecrets.load_or_create(stack.state_dir).api_key.get_secret_value()
        watcher = DecisionWatcher(endpoints.bootstrap)
        follower = threading.Thread(target=_follow, args=(watcher, seen, reading), daemon=True)
        follower.start()
        submitter = threading.Thread(
            target=_submit,
            args=(f"http://{LOOPBACK}:{ingest}", api_key, config.rate_per_s, load, config.seed),
            daemon=True,
        )
        submitter.start()
        time.sleep(config.settle_s)
        for name, action in _scenarios(stack, config):
            load.scenario = name
            actions[name] = action()
            time.sleep(config.settle_s)
        load.scenario = "cool-down"
        time.sleep(config.settle_s)
        load.stop.set()
        submitter.join(timeout=60)
        deadline = time.monotonic() + config.timeout_s
        while time.monotonic() < deadline and any(seen[a] == 0 for a in load.accepted):
            time.sleep(1.0)
        time.sleep(3.0)  # a late duplicate would show up now
        reading.set()
        follower.join(timeout=10)
        watcher.close()
    finally:
        stack.down()
    return _report(load, seen, actions)


def _report(load: _Load, seen: Counter[str], actions: dict[str, list[str]]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    for application_id, scenario in load.accepted.items():
        row = per.setdefault(scenario, {"submitted": 0, "decided": 0, "lost": 0, "duplicates": 0})
        row["submitted"] += 1
        count = seen[application_id]
        row["decided"] += 1 if count else 0
        row["lost"] += 0 if count else 1
        row["duplicates"] += max(0, count - 1)
    for name, done in actions.items():
        per.setdefault(name, {"submitted": 0, "decided": 0, "lost": 0, "duplicates": 0})
        per[name]["actions"] = done
    totals = {
        key: sum(row[key] for row in per.values())
        for key in ("submitted", "decided", "lost", "duplicates")
    }
    return {"scenarios": per, **totals, "submission_retries": load.retries}
