"""``prescreen up / down / status / demo / submit``: the whole platform on this machine."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Annotated, Any

import httpx
import orjson
import typer

from services.common.infra.errors import InfraError
from services.stack.demo import API_KEY_HEADER, run_demo
from services.stack.secrets import StackSecrets
from services.stack.services import LOOPBACK, Endpoints
from services.stack.settings import StackSettings
from services.stack.supervisor import Stack
from services.stack.synthetic import synthetic_applications

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _echo_json(value: Any) -> None:
    typer.echo(orjson.dumps(value).decode())


def _stack() -> Stack:
    return Stack(StackSettings())


def _ingest_url(stack: Stack) -> str:
    return f"http://{LOOPBACK}:{stack.settings.ingest_port}"


def _running_endpoints(stack: Stack) -> Endpoints:
    endpoints = stack.endpoints()
    if endpoints is None:
        raise typer.BadParameter("the stack is not up: run `prescreen up --detach` first")
    return endpoints


def up(
    detach: Annotated[bool, typer.Option(help="Start everything and return.")] = False,
    demo: Annotated[
        bool, typer.Option(help="Stream synthetic applications, show decisions.")
    ] = False,
    rate: Annotated[float, typer.Option(min=1, help="Demo applications per second.")] = 20.0,
    bootstrap: Annotated[
        str | None, typer.Option(help="Use this Kafka (with --redis-url) instead of a local one.")
    ] = None,
    redis_url: Annotated[str | None, typer.Option(help="Use this Redis.")] = None,
) -> None:
    """Start Kafka, Redis and every service (each its own process); Ctrl-C stops them all."""
    if bool(bootstrap) != bool(redis_url):
        raise typer.BadParameter("give both --bootstrap and --redis-url, or neither")
    stack = _stack()
    given = Endpoints(bootstrap, redis_url) if bootstrap and redis_url else None
    try:
        states = stack.up(given, progress=lambda line: typer.echo(f"  {line}", err=True))
    except InfraError as error:
        typer.echo(f"the stack did not come up: {error}", err=True)
        stack.down()
        raise typer.Exit(code=1) from error
    _print_ready(stack, len(states))
    if detach:
        return
    try:
        if demo:
            from services.stack.live import run_live_demo

            run_live_demo(stack, rate_per_s=rate)
        else:
            typer.echo("running; Ctrl-C stops everything", err=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("\nstopping", err=True)
    finally:
        stack.down()


def _print_ready(stack: Stack, count: int) -> None:
    settings = stack.settings
    typer.echo(f"{count} services ready", err=True)
    typer.echo(f"  ingest API   {_ingest_url(stack)}/v1/applications", err=True)
    typer.echo(f"  dashboard    http://{LOOPBACK}:{settings.dashboard_port}/", err=True)
    typer.echo(f"  quote API    http://{LOOPBACK}:{settings.quotes_port}/v1/quotes", err=True)
    typer.echo(
        f"  API key      in {settings.state_dir / 'secrets.json'} (api_key; header "
        f"{API_KEY_HEADER})",
        err=True,
    )


def down() -> None:
    """Stop every service and the local Kafka and Redis that `up` started."""
    stopped = _stack().down()
    _echo_json({"stopped": sorted(name for name, was in stopped.items() if was)})


def status(as_json: JsonOption = False) -> None:
    """Each service: running, ready, pid and log file."""
    stack = _stack()
    states = stack.status()
    if as_json:
        _echo_json({"services": [state.to_dict() for state in states]})
        return
    if not states:
        typer.echo("not running")
    for state in states:
        mark = "ready" if state.ready else ("running" if state.running else "stopped")
        typer.echo(f"{state.name:<22} {mark:<8} pid {state.pid or '-':<8} {state.log_file}")
    if states and not all(state.ready for state in states):
        raise typer.Exit(code=1)


def demo(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="Applications to submit.")],
    concurrency: Annotated[int, typer.Option(min=1, max=512, help="Requests in flight.")] = 16,
    rate: Annotated[
        float | None, typer.Option(min=1, help="Submit at this rate; default: as fast as it can.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated applicants.")] = 11,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for decisions.")] = 300,
    as_json: JsonOption = False,
) -> None:
    """Submit N synthetic applications through the ingest API and wait for every decision."""
    stack = _stack()
    endpoints = _running_endpoints(stack)
    secrets = StackSecrets.load_or_create(stack.state_dir)
    applications = synthetic_applications(count, seed=seed, run=uuid.uuid4().hex[:8])
    report = run_demo(
        _ingest_url(stack),
        secrets.api_key.get_secret_value(),
        endpoints.bootstrap,
        applications,
        concurrency=concurrency,
        rate_per_s=rate,
        timeout_s=timeout,
    )
    summary = report.summary()
    if as_json:
        _echo_json(summary)
    else:
        for name, value in summary.items():
            typer.echo(f"{name:>16}: {value}")
    if summary["lost"] or summary["duplicates"]:
        raise typer.Exit(code=1)


def submit(
    wait: Annotated[bool, typer.Option(help="Wait for the final decision.")] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait.")] = 120,
    as_json: JsonOption = False,
) -> None:
    """Submit one application (the ingest API's body, on stdin); print its decision."""
    stack = _stack()
    secrets = StackSecrets.load_or_create(stack.state_dir)
    body = sys.stdin.buffer.read()
    headers = {API_KEY_HEADER: secrets.api_key.get_secret_value()}
    with httpx.Client(base_url=_ingest_url(stack), headers=headers, timeout=65) as client:
        response = client.post(
            "/v1/applications", content=body, headers={"Content-Type": "application/json"}
        )
        if response.status_code != 202:
            typer.echo(response.text, err=True)
            raise typer.Exit(code=2)
        accepted = response.json()
        result: dict[str, Any] = {"application_id": accepted["application_id"]}
        if wait:
            result = _wait_for_decision(client, accepted["status_url"], timeout)
    if as_json:
        _echo_json(result)
    else:
        typer.echo(json.dumps(result, indent=2))


def _wait_for_decision(client: httpx.Client, status_url: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    version = 0
    while time.monotonic() < deadline:
        wait = min(30.0, max(1.0, deadline - time.monotonic()))
        answer = client.get(status_url, params={"wait": wait, "after_version": version})
        answer.raise_for_status()
        view = answer.json()
        version = view["version"]
        decision = view.get("decision")
        if decision is not None:
            return _decision_view(decision)
    typer.echo("no decision in time", err=True)
    raise typer.Exit(code=3)


def _decision_view(decision: dict[str, Any]) -> dict[str, Any]:
    """The decision as an operator reads it: outcome, reasons, offers, narrative."""
    return {
        "application_id": decision["application_id"],
        "outcome": decision["outcome"],
        "decided_by": decision["decided_by"],
        "reasons": [{"code": r["code"], "text": r["text"]} for r in decision["reasons"]],
        "offers": [
            {
                "product": offer["product"],
                "amount": offer["amount"],
                "interest_rate": offer["interest_rate"],
                "apr": offer["apr"],
                "term_months": offer["term_months"],
                "monthly_payment": offer["monthly_payment"],
            }
            for offer in decision["offers"]
        ],
        "narrative": decision.get("narrative"),
        "decided_at": decision["decided_at"],
    }


def chaos(
    rate: Annotated[float, typer.Option(min=1, help="Applications per second meanwhile.")] = 30,
    rounds: Annotated[int, typer.Option(min=1, max=10, help="Times each stage is killed.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Kill stages, restart the broker and Redis, pause a stage past its session timeout,
    while applications flow; then check each has exactly one decision."""
    import tempfile
    from pathlib import Path

    from services.stack.chaos import ChaosConfig, run_chaos

    with tempfile.TemporaryDirectory(prefix="prescreen-chaos-") as workdir:
        report = run_chaos(ChaosConfig(rate_per_s=rate, rounds=rounds), Path(workdir))
    if as_json:
        _echo_json(report)
    else:
        typer.echo(json.dumps(report, indent=2))
    if report["lost"] or report["duplicates"]:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("demo")(demo)
    app.command("submit")(submit)
    app.command("chaos")(chaos)
