"""Option checks of ``prescreen bench ingest`` that refuse a run before anything starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from services.cli import bench
from services.common.bench.ingest_bench import IngestBenchConfig

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise AssertionError("the benchmark must not start")

    monkeypatch.setattr(bench, "run_ingest_bench", refuse)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "2", "--load-processes", "3"], "load_processes"),
        (["--bootstrap", "10.0.0.5:9092", "--redis-url", "redis://127.0.0.1:6379"], "loopback"),
        (["--bootstrap", "127.0.0.1:9092"], "give both"),
        (["--concurrency", "0"], "concurrency"),
    ],
)
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    result = runner.invoke(bench.app, ["ingest", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_options_reach_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake(config: object, *, bootstrap: str | None, redis_url: str | None) -> dict[str, int]:
        seen.update(config=config, bootstrap=bootstrap, redis_url=redis_url)
        return {"requests": 10, "rps": 1}

    monkeypatch.setattr(bench, "run_ingest_bench", fake)
    result = runner.invoke(
        bench.app,
        ["ingest", "--requests", "10", "--concurrency", "3", "--workers", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == '{"requests":10,"rps":1}'
    config = seen["config"]
    assert isinstance(config, IngestBenchConfig)
    assert (config.requests, config.concurrency, config.workers) == (10, 3, 1)
    assert seen["bootstrap"] is None and seen["redis_url"] is None
