"""End to end: a few hundred applications through the real pipeline, each decided once.

The whole stack runs as it does for `prescreen up`: every service its own process, on the
test's Kafka and Redis, with a model trained and a watch list generated for it. Applications go
in through the ingest API; decisions are read back from `loan.decisions.v1`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.common.infra.ports import free_port_run, free_ports
from services.stack.demo import API_KEY_HEADER, run_demo
from services.stack.secrets import StackSecrets
from services.stack.services import LOOPBACK, Endpoints
from services.stack.settings import StackSettings
from services.stack.supervisor import Stack
from services.stack.synthetic import synthetic_applications
from tests.integration.runtime.support import wait_for

pytestmark = pytest.mark.integration

APPLICATIONS = 300
STAGES = 7


@pytest.fixture
def stack(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> Iterator[Stack]:
    ingest, quotes, dashboard = free_ports(3)
    settings = StackSettings(
        state_dir=tmp_path / "stack",
        ingest_port=ingest,
        quotes_port=quotes,
        dashboard_port=dashboard,
        health_base_port=free_port_run(STAGES),
        redis_key_prefix=unique_name,
        model_rows=3_000,
        watchlist_size=500,
    )
    running = Stack(settings)
    try:
        running.up(Endpoints(kafka_bootstrap, redis_url))
        yield running
    finally:
        running.down()


def test_a_few_hundred_applications_are_each_decided_once(
    stack: Stack, kafka_bootstrap: str, unique_name: str
) -> None:
    api_key = StackSecrets.load_or_create(stack.state_dir).api_key.get_secret_value()
    ingest = f"http://{LOOPBACK}:{stack.settings.ingest_port}"
    applications = synthetic_applications(APPLICATIONS, seed=5, run=unique_name)
    report = run_demo(ingest, api_key, kafka_bootstrap, applications, timeout_s=300)
    summary = report.summary()
    assert summary["submitted"] == APPLICATIONS, summary["refused_by_api"]
    assert summary["decided"] == APPLICATIONS
    assert summary["duplicates"] == 0 and summary["lost"] == 0
    # The generated population spreads over the outcomes as the historical data does.
    assert summary["approved"] > 0 and summary["declined"] > 0

    # The status API serves each decision to the client that submitted it.
    with httpx.Client(base_url=ingest, headers={API_KEY_HEADER: api_key}, timeout=30) as client:
        for application in applications[:20]:
            view = client.get(f"/v1/applications/{application.application_id}").json()
            assert view["status"] in ("decided", "referred")
            assert view["decision"]["application_id"] == application.application_id
    # Every applicant consented to e-mail: one message each in the outbox, none twice.
    outbox = stack.settings.state_dir / "data" / "outbox"
    wait_for(lambda: len(list(outbox.glob("*.eml"))) >= APPLICATIONS, 120, "the e-mails")
    assert len(list(outbox.glob("*.eml"))) == APPLICATIONS
    assert all(state.running for state in stack.status())
