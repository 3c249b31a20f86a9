"""The pure parts of ``prescreen bench ingest``: payloads, statistics, options, load loops."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.bench import ingest_load
from services.common.bench.ingest_bench import IngestBenchConfig, config_problems, split
from services.common.bench.ingest_load import (
    PhaseResult,
    PhaseSpec,
    reconcile,
    run_phase,
    submission,
)
from services.common.bench.ingest_server import BASELINE_PATH, add_baseline_route
from services.common.contracts.application import SubmittedApplication
from services.common.http.auth import Authenticator, install_auth
from services.common.http.auth_settings import AuthSettings, api_key_hash
from services.common.http.errors import install_error_handlers
from services.ingest.intake import Accepted, accept
from tests.unit.bench.http_peer import HttpPeer, by_path, http_peer, json_answer
from tests.unit.contracts import samples
from tests.unit.ingest.support import config as intake_config

API_KEY = "bench-key-" + "k" * 30


def test_every_submission_is_valid_and_accepted_by_the_intake() -> None:
    for index in (0, 1, 9_999):
        app_id, body = submission("run1-full-0", index)
        parsed = SubmittedApplication.model_validate_json(body)
        assert str(parsed.application_id) == app_id
        result = accept(
            body,
            application_id=None,
            received_at=samples.SUBMITTED_AT + timedelta(seconds=5),
            config=intake_config(),
        )
        assert isinstance(result, Accepted), result
        assert result.key == app_id


def test_submissions_never_repeat_an_application_or_customer_id() -> None:
    bodies = [json.loads(submission(label, i)[1]) for label in ("a-0", "a-1") for i in range(2000)]
    application_ids = {b["application_id"] for b in bodies}
    customer_ids = {b["customer_id"] for b in bodies}
    assert len(application_ids) == len(customer_ids) == len(bodies)
    assert not application_ids & customer_ids


def test_submission_ids_are_reproducible_from_label_and_index() -> None:
    assert submission("x", 7) == submission("x", 7)
    assert submission("x", 7)[0] != submission("y", 7)[0]


def test_split_shares_add_up_and_differ_by_at_most_one() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 4) == [1, 1, 0, 0]
    assert sum(split(20_000, 7)) == 20_000
    with pytest.raises(ValueError):
        split(1, 0)


def test_default_config_is_valid() -> None:
    assert config_problems(IngestBenchConfig()) == []
    assert IngestBenchConfig(fixed_rate=500, fixed_rate_seconds=20).fixed_rate_requests == 10_000


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"requests": 0}, "requests must be at least 1"),
        ({"concurrency": 0}, "concurrency must be at least 1"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"load_processes": 0}, "load_processes must be at least 1"),
        ({"concurrency": 2, "load_processes": 3}, "concurrency must be at least load_processes"),
        ({"requests": 2, "load_processes": 3}, "requests must be at least load_processes"),
        ({"fixed_rate": 0}, "fixed_rate must be above 0"),
        ({"fixed_rate_seconds": -1}, "fixed_rate_seconds must be above 0"),
        ({"warmup_s": -1}, "warmup_s must not be negative"),
        ({"request_timeout_s": 0}, "request_timeout_s must be above 0"),
    ],
)
def test_invalid_options_are_refused_with_a_reason(changes: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        IngestBenchConfig(**changes)  # type: ignore[arg-type]


def test_results_count_2xx_as_ok_and_everything_else_as_errors() -> None:
    result = PhaseResult()
    result.record(202, 0.010, "a")
    result.record(200, 0.020, None)
    result.record(503, 0.030, "b")
    result.record("ReadTimeout", 0.040, "c")
    assert (result.ok, result.errors) == (2, 2)
    assert result.accepted_ids == ["a"]
    assert result.error_kinds == {"503": 1, "ReadTimeout": 1}
    assert result.latencies_ms == pytest.approx([10, 20, 30, 40])


def test_merged_results_span_every_process() -> None:
    first = PhaseResult(ok=100, latencies_ms=[1.0] * 100, start_ns=1_000_000_000, end_ns=2 * 10**9)
    second = PhaseResult(
        ok=100,
        errors=1,
        error_kinds={"500": 1},
        latencies_ms=[3.0] * 101,
        start_ns=1_500_000_000,
        end_ns=3 * 10**9,
        cpu_s=0.5,
    )
    merged = PhaseResult.merge([first, second])
    assert (merged.ok, merged.errors, merged.error_kinds) == (200, 1, {"500": 1})
    assert merged.rps == pytest.approx(100.0)  # 200 answers over 2 s
    summary = merged.summary()
    assert summary["p50_ms"] == 3.0 and summary["p99_ms"] == 3.0 and summary["requests"] == 201
    assert summary["client_cpu_ms_per_request"] == pytest.approx(0.5 * 1000 / 201, abs=1e-3)


def test_reconcile_names_lost_duplicated_and_unexpected_records() -> None:
    assert reconcile(["a", "b"], {"a": 1, "b": 1}) == ingest_load.Reconciliation(2, 2, 0, 0, 0)
    check = reconcile(["a", "b", "c"], {"a": 2, "b": 1, "x": 3})
    assert (check.accepted, check.on_topic) == (3, 6)
    assert (check.lost, check.duplicates, check.unexpected) == (1, 1, 3)


async def _run(spec: PhaseSpec, peer: HttpPeer) -> PhaseResult:
    return await run_phase(dataclasses.replace(spec, base_url=peer.base_url), API_KEY)


def test_a_full_speed_phase_sends_distinct_authenticated_submissions() -> None:
    async def scenario() -> tuple[PhaseResult, HttpPeer]:
        async with http_peer(by_path({"/v1/applications": 202})) as peer:
            spec = PhaseSpec(base_url="", kind="submit", label="r-full-0", count=50, concurrency=8)
            return await _run(spec, peer), peer

    result, peer = asyncio.run(scenario())
    assert (result.ok, result.errors) == (50, 0)
    assert len(set(result.accepted_ids)) == 50
    assert len(peer.seen) == 50 and peer.connections == 8
    assert all(r.headers["x-api-key"] == API_KEY for r in peer.seen)
    assert all("idempotency-key" not in r.headers for r in peer.seen)
    sent = {json.loads(r.body)["application_id"] for r in peer.seen}
    assert sent == set(result.accepted_ids)
    assert all(r.headers["content-type"] == "application/json" for r in peer.seen)
    assert result.end_ns >= result.start_ns > 0


def test_warm_up_requests_are_kept_apart_from_the_timed_ones() -> None:
    async def scenario() -> tuple[PhaseResult, HttpPeer]:
        async with http_peer(by_path({BASELINE_PATH: 200})) as peer:
            spec = PhaseSpec(base_url="", kind="baseline", label="r-b-0", count=20, warmup=5)
            return await _run(spec, peer), peer

    result, peer = asyncio.run(scenario())
    assert len(peer.seen) == 25 and result.ok == 20
    assert all(r.method == "GET" and r.body == b"" for r in peer.seen)


def test_a_fixed_rate_phase_keeps_its_schedule_and_counts_failures() -> None:
    async def scenario() -> tuple[PhaseResult, HttpPeer]:
        async with http_peer(by_path({})) as peer:  # every answer a 404
            spec = PhaseSpec(
                base_url="",
                kind="submit",
                label="r-fixed-0",
                count=20,
                concurrency=4,
                rate=200.0,
                idempotency_keys=True,
            )
            return await _run(spec, peer), peer

    result, peer = asyncio.run(scenario())
    assert (result.ok, result.errors, result.error_kinds) == (0, 20, {"404": 20})
    assert result.accepted_ids == []
    assert (result.end_ns - result.start_ns) / 1e9 >= 19 / 200
    assert len({r.headers["idempotency-key"] for r in peer.seen}) == 20


def test_transport_failures_are_counted_by_kind_and_the_phase_goes_on() -> None:
    answers = iter([json_answer(202, close=True), b"", json_answer(202)] + [json_answer(202)] * 9)

    async def scenario() -> tuple[PhaseResult, HttpPeer]:
        async with http_peer(lambda _request: next(answers)) as peer:
            spec = PhaseSpec(
                base_url="", kind="submit", label="r-t-0", count=12, concurrency=1, timeout_s=0.2
            )
            return await _run(spec, peer), peer

    result, peer = asyncio.run(scenario())
    # The server closed after the first answer (reconnect), never answered the second (timeout).
    assert (result.ok, result.errors, result.error_kinds) == (11, 1, {"timeout": 1})
    assert peer.connections == 3


def test_nothing_listening_is_a_connect_error_not_a_crash() -> None:
    spec = PhaseSpec(base_url="http://127.0.0.1:9", kind="baseline", label="r-c-0", count=3)
    result = asyncio.run(run_phase(spec, API_KEY))
    assert (result.ok, result.errors, result.error_kinds) == (0, 3, {"connect_error": 3})


def test_the_baseline_route_needs_the_same_credentials_as_the_api() -> None:
    app = FastAPI()
    install_error_handlers(app)
    clients = {"bank": {"sha256": api_key_hash(API_KEY), "scopes": ["applications:write"]}}
    reader = {"reader": {"sha256": api_key_hash("r" * 40), "scopes": ["applications:read"]}}
    install_auth(app, Authenticator(AuthSettings(api_keys={**clients, **reader})))
    add_baseline_route(app)
    with TestClient(app) as http:
        assert http.get(BASELINE_PATH).status_code == 401
        assert http.get(BASELINE_PATH, headers={"X-API-Key": "wrong" * 8}).status_code == 401
        assert http.get(BASELINE_PATH, headers={"X-API-Key": "r" * 40}).status_code == 403
        ok = http.get(BASELINE_PATH, headers={"X-API-Key": API_KEY})
        assert ok.status_code == 200 and ok.json() == {"client_id": "bank"}
