"""``python -m services.notifier.status``: run the status projection."""

from __future__ import annotations

from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.notifier.status.handler import INPUTS, StatusHandler
from services.notifier.status.writer import StatusWriter

SERVICE = "notifier"


def main() -> None:
    configure_logging(f"{SERVICE}-status")
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    runtime = StageRuntime(
        service=SERVICE,
        stage=f"{SERVICE}-status",
        inputs=list(INPUTS),
        handler=StatusHandler(StatusWriter(client, prefix=redis_settings.key_prefix)),
        redis_client=client,
        redis_settings=redis_settings,
    )
    runtime.install_signal_handlers()
    runtime.run()


if __name__ == "__main__":
    main()
