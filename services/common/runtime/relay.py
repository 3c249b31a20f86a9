"""A pass-through stage: the runtime with a trivial handler, for benchmarks and failure tests.

Run one hop as its own process::

    python -m services.common.runtime.relay --stage hop1 --input in.v1 --output out.v1

It forwards every ``RelayEvent`` with ``hops`` incremented, so a reader at the end of a chain
can tell that each event passed through every stage exactly once.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from pydantic import Field

from services.common.contracts.base import EventModel
from services.common.contracts.topics import TopicSpec
from services.common.errors import PermanentError
from services.common.logs import configure_logging
from services.common.runtime.envelope import Emit, Envelope, Reject
from services.common.runtime.loop import StageRuntime
from services.common.runtime.settings import RuntimeSettings
from services.common.settings import KafkaSettings, RedisSettings, redis_client

log = logging.getLogger(__name__)

POISON = "poison"


class RelayEvent(EventModel):
    """A synthetic event that records how many stages it passed."""

    event_id: str = Field(min_length=1, max_length=64)
    sequence: int = Field(ge=0)
    created_ns: int = Field(ge=0, description="Wall clock at the source, for latency.")
    hops: int = Field(default=0, ge=0)
    payload: str = Field(default="", max_length=1_000_000)


def relay_topic(name: str, writer: str) -> TopicSpec[RelayEvent]:
    return TopicSpec(
        name=name,
        value_model=RelayEvent,
        writer=writer,
        ce_type="com.loanprescreen.bench.relay.v1",
        description="Pass-through benchmark and test events.",
        key="event id",
    )


class RelayHandler:
    """Forwards events; optionally refuses payloads marked as poison (to exercise the DLQ)."""

    def __init__(self, output: TopicSpec[RelayEvent], *, reject_poison: bool = False) -> None:
        self._output = output
        self._reject_poison = reject_poison

    def __call__(self, batch: Sequence[Envelope[Any]]) -> Iterable[Emit | Reject]:
        results: list[Emit | Reject] = []
        for envelope in batch:
            event: RelayEvent = envelope.value
            if self._reject_poison and event.payload == POISON:
                raise PermanentError(f"event {event.event_id} carries a poison payload")
            forwarded = event.model_copy(update={"hops": event.hops + 1})
            results.append(Emit.following(envelope, self._output, forwarded))
        return results


def build_relay(
    *,
    stage: str,
    input_topic: str,
    output_topic: str,
    kafka: KafkaSettings | None = None,
    redis_client: redis.Redis | None = None,
    settings: RuntimeSettings | None = None,
    reject_poison: bool = False,
    dwell_in_transaction_s: float = 0.0,
) -> StageRuntime:
    output = relay_topic(output_topic, writer=stage)

    def dwell() -> None:
        # Flush first so the open transaction's records really sit on the broker while we wait.
        runtime.flush_producer()
        time.sleep(dwell_in_transaction_s)

    runtime = StageRuntime(
        service=stage,
        inputs=[relay_topic(input_topic, writer="upstream")],
        handler=RelayHandler(output, reject_poison=reject_poison),
        kafka=kafka,
        redis_client=redis_client,
        settings=settings,
        in_transaction_hook=dwell if dwell_in_transaction_s > 0 else None,
    )
    return runtime


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--reject-poison", action="store_true")
    parser.add_argument("--no-dedup", action="store_true", help="Skip the Redis duplicate filter.")
    parser.add_argument(
        "--dwell-in-transaction-ms",
        type=float,
        default=0.0,
        help="Fault injection: hold each open transaction this long before committing.",
    )
    parser.add_argument("--max-events", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    args = parser.parse_args(argv)
    configure_logging(args.stage, level="WARNING")
    client = None if args.no_dedup else redis_client(RedisSettings())
    runtime = build_relay(
        stage=args.stage,
        input_topic=args.input,
        output_topic=args.output,
        redis_client=client,
        reject_poison=args.reject_poison,
        dwell_in_transaction_s=args.dwell_in_transaction_ms / 1000,
    )
    runtime.install_signal_handlers()
    stats = runtime.run(max_events=args.max_events, timeout=args.timeout)
    log.warning("relay finished", extra={"stage": args.stage, "consumed": stats.consumed})


if __name__ == "__main__":
    main()
