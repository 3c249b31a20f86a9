"""Benchmark worker processes: a sink that times arrivals, run apart from the producer.

    python -m services.common.bench.workers sink --bootstrap B --topic T --count N \
        --prefix P --out result.json [--read-committed]

It prints ``ready`` once its partitions are assigned, then reads until it has seen ``count``
events whose id starts with ``prefix`` (or the timeout), and writes arrival times and
latencies (arrival minus the event's ``created_ns``) as JSON.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import orjson
from confluent_kafka import Consumer, TopicPartition


def sink(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="sink")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--read-committed", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)

    assigned: list[TopicPartition] = []

    def start_at_end(c: Consumer, partitions: list[TopicPartition]) -> None:
        # Only this phase's events matter: start at the current end instead of re-reading
        # (and re-parsing) every earlier phase's records, which would delay this phase's.
        for tp in partitions:
            _low, high = c.get_watermark_offsets(tp, timeout=10)
            tp.offset = high
        c.assign(partitions)
        assigned.extend(partitions)

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": f"bench-sink-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "partition.assignment.strategy": "range",
            "isolation.level": "read_committed" if args.read_committed else "read_uncommitted",
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([args.topic], on_assign=start_at_end)
    deadline = time.monotonic() + args.timeout
    while not assigned and time.monotonic() < deadline:
        consumer.poll(0.1)
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    prefix = args.prefix.encode()
    arrivals: list[int] = []
    latencies_ms: list[float] = []
    seen: set[bytes] = set()
    duplicates = 0
    while len(seen) < args.count and time.monotonic() < deadline:
        for message in consumer.consume(1000, 0.05):
            if message.error():
                continue
            key = message.key() or b""
            if not key.startswith(prefix):
                continue
            now = time.time_ns()
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            created = orjson.loads(message.value() or b"{}").get("created_ns", now)
            arrivals.append(now)
            latencies_ms.append((now - created) / 1e6)
    consumer.close()
    args.out.write_bytes(
        orjson.dumps(
            {
                "count": len(seen),
                "duplicates": duplicates,
                "first_ns": min(arrivals, default=0),
                "last_ns": max(arrivals, default=0),
                "latencies_ms": latencies_ms,
            }
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "sink":
        sys.stderr.write("usage: python -m services.common.bench.workers sink ...\n")
        return 2
    return sink(args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
