"""Wiring only: settings, adapters, handler, runtime.

Run as a process with ``python -m services.scoring.app``. The bureau and the bank's books are
the embedded simulations; a bank swaps in its own adapters of the same ports here.
"""

from __future__ import annotations

from pathlib import Path

import redis

from services.common.contracts import Topics
from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.scoring.bureau import SimulatedBureau, SimulatedInternalData
from services.scoring.handler import ScoringHandler, check_challenger, check_champion
from services.scoring.metrics import ScoringMetrics
from services.scoring.model_source import ModelCheck, ModelSource
from services.scoring.policy import CreditPolicy
from services.scoring.ports import CreditBureau, InternalData, RunOnce
from services.scoring.settings import ScoringSettings

SERVICE = "scoring"
BUREAU_LEASE_S = 30


def build_handler(
    settings: ScoringSettings,
    client: redis.Redis,
    redis_settings: RedisSettings,
    metrics: ScoringMetrics | None = None,
    *,
    bureau: CreditBureau | None = None,
    internal_data: InternalData | None = None,
    once: RunOnce | None = None,
) -> ScoringHandler:
    """The handler from settings; a bank passes its own bureau and internal-data adapters."""
    metrics = metrics or ScoringMetrics()

    def source(model_dir: Path, role: str, check: ModelCheck) -> ModelSource:
        return ModelSource(
            model_dir,
            check=check,
            role=role,
            interval_s=settings.model_reload_interval_s,
            on_reload=lambda role, result: metrics.reloads.labels(role, result).inc(),
        )

    challenger_dir = settings.challenger_model_dir
    return ScoringHandler(
        bureau=bureau or SimulatedBureau(seed=settings.bureau_seed),
        internal_data=internal_data
        or SimulatedInternalData(seed=f"{settings.bureau_seed}-internal"),
        once=once
        or Once(client, prefix=f"{redis_settings.key_prefix}:{SERVICE}", lease_s=BUREAU_LEASE_S),
        model=source(settings.model_dir, "champion", check_champion),
        challenger=(
            None
            if challenger_dir is None
            else source(challenger_dir, "challenger", check_challenger)
        ),
        policy=CreditPolicy(settings.policy_dir),
        stage_version=settings.stage_version,
        bureau_concurrency=settings.bureau_concurrency,
        bankruptcy_lookback_months=settings.bankruptcy_lookback_months,
        metrics=metrics,
    )


def main() -> None:
    settings = ScoringSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)  # with PRESCREEN_REDIS_SOCKET_TIMEOUT_S
    metrics = ScoringMetrics()  # its registry also carries the runtime's metrics
    runtime = StageRuntime(
        service=SERVICE,  # the writer of loan.applications.scored.v1
        inputs=[Topics.by_name(settings.input_topic)],
        handler=build_handler(settings, client, redis_settings, metrics),
        redis_client=client,  # turns on business de-duplication
        redis_settings=redis_settings,
        metrics_registry=metrics.registry,
    )
    runtime.install_signal_handlers()  # SIGTERM: finish the batch, commit, leave the group
    runtime.run()


if __name__ == "__main__":
    main()
