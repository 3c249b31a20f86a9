"""A stage with an external side effect wrapped in ``once``, run as a process by the tests.

``--crash-after-call`` makes the process die (like a pod killed by the OOM killer) right after
the side effect returned and before the Kafka transaction commits: the worst moment.
``--slow-ms`` makes each batch take that long, so a test can signal the process mid-batch.
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from collections.abc import Sequence
from typing import Any

import redis

from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import Emit, Envelope, StageRuntime
from services.common.runtime.relay import RelayEvent, relay_topic
from services.common.settings import RedisSettings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--crash-after-call", action="store_true")
    parser.add_argument("--slow-ms", type=int, default=0)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    configure_logging(args.stage, level="INFO")
    client = redis.Redis.from_url(RedisSettings().url)
    once = Once(client, prefix=f"test:{args.stage}", lease_s=5)
    output = relay_topic(args.output, writer=args.stage)

    def notify(event: RelayEvent) -> dict[str, Any]:
        # The "external system": counts every real call it receives.
        calls = client.incr(f"test:{args.stage}:calls:{event.event_id}")
        return {"receipt": f"r-{event.event_id}", "call_number": calls}

    def handler(batch: Sequence[Envelope[Any]]) -> list[Emit]:
        if args.slow_ms:
            time.sleep(args.slow_ms / 1000)
        emits = []
        for envelope in batch:
            event: RelayEvent = envelope.value
            receipt = once(f"notify:{event.event_id}", functools.partial(notify, event))
            if args.crash_after_call:
                os._exit(17)
            emits.append(
                Emit.following(
                    envelope, output, event.model_copy(update={"payload": receipt["receipt"]})
                )
            )
        return emits

    from services.common.runtime.settings import RuntimeSettings

    runtime = StageRuntime(
        service=args.stage,
        inputs=[relay_topic(args.input, writer="upstream")],
        handler=handler,
        redis_client=client,
        settings=RuntimeSettings(batch_max_events=args.batch),
    )
    runtime.install_signal_handlers()
    runtime.run()


if __name__ == "__main__":
    main()
