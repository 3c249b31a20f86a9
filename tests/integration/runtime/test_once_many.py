"""``Once.many`` on a real Redis: a batch of side effects, each at most once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
import redis

from services.common.idempotency import FailedCall, Once

pytestmark = pytest.mark.integration


class Counter:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def call(self, name: str, result: object) -> tuple[str, Callable[[], object]]:
        def run() -> object:
            self.calls.append(name)
            return result

        return name, run


def fresh_once(redis_url: str, lease_s: float = 5) -> tuple[Once, redis.Redis, str]:
    client = redis.Redis.from_url(redis_url)
    prefix = f"t{uuid.uuid4().hex}"
    return Once(client, prefix=prefix, lease_s=lease_s), client, prefix


def test_each_call_runs_once_and_replays_return_the_stored_results(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    counter = Counter()
    calls = [counter.call(f"pull:{n}", {"n": n}) for n in range(5)]
    assert once.many(calls) == [{"n": n} for n in range(5)]
    assert once.many(calls) == [{"n": n} for n in range(5)]
    assert counter.calls == [f"pull:{n}" for n in range(5)]
    # Single calls and batches share their keys.
    assert once("pull:3", lambda: {"n": -1}) == {"n": 3}


def test_a_batch_mixing_done_and_new_keys_only_runs_the_new_ones(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    once("pull:1", lambda: "first")
    counter = Counter()
    results = once.many([counter.call("pull:0", "a"), counter.call("pull:1", "b")])
    assert results == ["a", "first"]
    assert counter.calls == ["pull:0"]


def test_a_failure_keeps_what_ran_and_releases_the_rest(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    counter = Counter()

    def failing() -> object:
        raise ConnectionError("bureau down")

    with pytest.raises(ConnectionError):
        once.many([counter.call("a", 1), ("b", failing), counter.call("c", 3)])
    # Every call ran; what succeeded is kept, the failure's claim released.
    assert counter.calls == ["a", "c"]
    assert once.result("a") == 1 and once.result("c") == 3
    assert once.result("b") is None
    # The retry pulls b only, and reuses a and c.
    assert once.many([counter.call("a", 10), counter.call("b", 20), counter.call("c", 30)]) == [
        1,
        20,
        3,
    ]
    assert counter.calls == ["a", "c", "b"]


def test_many_settled_puts_each_failure_in_its_place(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    counter = Counter()

    def failing() -> object:
        raise ConnectionError("receiver down")

    outcomes = once.many_settled(
        [counter.call("a", 1), ("b", failing), counter.call("c", 3)], workers=3
    )
    assert outcomes[0] == 1 and outcomes[2] == 3
    failed = outcomes[1]
    assert isinstance(failed, FailedCall) and isinstance(failed.error, ConnectionError)
    assert once.result("b") is None
    again = once.many_settled([counter.call("a", 10), counter.call("b", 20)])
    assert again == [1, 20]
    assert sorted(counter.calls) == ["a", "b", "c"]


def test_a_key_claimed_by_another_worker_waits_for_its_result(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "theirs"

    other = threading.Thread(target=lambda: once("pull:7", slow))
    other.start()
    assert started.wait(5)
    counter = Counter()
    threading.Timer(0.2, release.set).start()
    results = once.many([counter.call("pull:6", "mine"), counter.call("pull:7", "mine too")])
    other.join()
    assert results == ["mine", "theirs"]
    assert counter.calls == ["pull:6"]


def test_a_dead_workers_claim_expires_and_the_batch_runs_the_call(redis_url: str) -> None:
    once, client, prefix = fresh_once(redis_url, lease_s=0.5)
    client.set(f"{prefix}:once:pull:1", b"pending:dead", px=300)
    counter = Counter()
    assert once.many([counter.call("pull:1", "ran")]) == ["ran"]
    assert counter.calls == ["pull:1"]


def test_keys_must_be_distinct(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    with pytest.raises(ValueError, match="distinct"):
        once.many([("k", lambda: 1), ("k", lambda: 2)])


def test_workers_run_the_calls_side_by_side(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    # Every call waits for all four to have started: only concurrent calls get through.
    together = threading.Barrier(4, timeout=5)

    def call(n: int) -> Callable[[], int]:
        def run() -> int:
            together.wait()
            return n

        return run

    assert once.many([(f"pull:{n}", call(n)) for n in range(4)], workers=4) == [0, 1, 2, 3]
    assert once.result("pull:2") == 2


def test_with_workers_a_failure_keeps_every_call_that_succeeded(redis_url: str) -> None:
    once, _, _ = fresh_once(redis_url)
    counter = Counter()

    def failing() -> object:
        raise ConnectionError("bureau down")

    with pytest.raises(ConnectionError):
        once.many([counter.call("a", 1), ("b", failing), counter.call("c", 3)], workers=3)
    assert sorted(counter.calls) == ["a", "c"]
    assert (once.result("a"), once.result("b"), once.result("c")) == (1, None, 3)
    with pytest.raises(ValueError, match="workers"):
        once.many([counter.call("d", 4)], workers=0)
