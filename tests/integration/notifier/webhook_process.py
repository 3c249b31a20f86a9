"""The webhook stage as its own OS process, for crash tests.

``python -m tests.integration.notifier.webhook_process PREFIX [HOLD_FILE]`` runs the stage on
the topics renamed with ``PREFIX``. With ``HOLD_FILE`` it touches that file inside its first
transaction — after the deliveries, before the commit — and then waits there, so the test
can SIGKILL it at exactly that point.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from services.common.logs import configure_logging
from services.common.settings import RedisSettings, redis_client
from services.notifier.webhooks.app import WebhookTopics, build_parts, delivery_runtime
from services.notifier.webhooks.settings import WebhookSettings


def main() -> None:
    prefix = sys.argv[1]
    hold_file = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    configure_logging("notifier-webhooks-test")
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    parts = build_parts(WebhookSettings(), client, redis_settings)

    def hold_before_commit() -> None:
        assert hold_file is not None
        hold_file.touch()
        time.sleep(3600)

    runtime = delivery_runtime(
        parts,
        client,
        redis_settings,
        topics=WebhookTopics.prefixed(prefix),
        in_transaction_hook=hold_before_commit if hold_file else None,
    )
    runtime.install_signal_handlers()
    try:
        runtime.run()
    finally:
        parts.close()


if __name__ == "__main__":
    main()
