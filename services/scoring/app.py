"""Wiring only: settings, adapters, handler, runtime.

Run as a process with ``python -m services.scoring.app``. The bureau and the bank's books are
the embedded simulations; a bank swaps in its own adapters of the same ports here.
"""

from __future__ import annotations

import redis

from services.common.contracts import Topics
from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.scoring.bureau import SimulatedBureau, SimulatedInternalData
from services.scoring.handler import ScoringHandler
from services.scoring.policy import CreditPolicy
from services.scoring.settings import ScoringSettings
from services.scoring.training.artifact import load_artifact

SERVICE = "scoring"
BUREAU_LEASE_S = 30


def build_handler(
    settings: ScoringSettings, client: redis.Redis, redis_settings: RedisSettings
) -> ScoringHandler:
    return ScoringHandler(
        bureau=SimulatedBureau(seed=settings.bureau_seed),
        internal_data=SimulatedInternalData(seed=f"{settings.bureau_seed}-internal"),
        once=Once(client, prefix=f"{redis_settings.key_prefix}:{SERVICE}", lease_s=BUREAU_LEASE_S),
        model=load_artifact(settings.model_dir),
        policy=CreditPolicy(settings.policy_dir),
        stage_version=settings.stage_version,
        bankruptcy_lookback_months=settings.bankruptcy_lookback_months,
    )


def main() -> None:
    settings = ScoringSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)  # with PRESCREEN_REDIS_SOCKET_TIMEOUT_S
    runtime = StageRuntime(
        service=SERVICE,  # the writer of loan.applications.scored.v1
        inputs=[Topics.by_name(settings.input_topic)],
        handler=build_handler(settings, client, redis_settings),
        redis_client=client,  # turns on business de-duplication
        redis_settings=redis_settings,
    )
    runtime.install_signal_handlers()  # SIGTERM: finish the batch, commit, leave the group
    runtime.run()


if __name__ == "__main__":
    main()
