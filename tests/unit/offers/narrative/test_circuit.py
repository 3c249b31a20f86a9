"""The circuit breaker, on a fake clock."""

from __future__ import annotations

import threading

import pytest

from services.offers.narrative.circuit import CircuitBreaker, CircuitState, Permit
from tests.unit.offers.narrative.test_bedrock import FakeClock


def breaker(clock: FakeClock, **options: object) -> tuple[CircuitBreaker, list[tuple[str, str]]]:
    changes: list[tuple[str, str]] = []
    settings: dict[str, object] = {"failure_threshold": 3, "window_s": 60.0, "cooldown_s": 30.0}
    settings.update(options)
    made = CircuitBreaker(
        clock=clock,
        on_change=lambda before, after: changes.append((before.value, after.value)),
        **settings,  # type: ignore[arg-type]
    )
    return made, changes


def state(circuit: CircuitBreaker) -> CircuitState:
    """The state, read afresh (mypy would keep a narrowed property across calls)."""
    return circuit.state


def permit(circuit: CircuitBreaker) -> Permit:
    granted = circuit.allow()
    assert granted is not None
    return granted


def fail(circuit: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        circuit.failure(permit(circuit))


def test_it_opens_after_n_consecutive_failures_and_refuses() -> None:
    clock = FakeClock()
    circuit, changes = breaker(clock)
    fail(circuit, 2)
    assert state(circuit) is CircuitState.CLOSED
    fail(circuit)
    assert state(circuit) is CircuitState.OPEN
    assert circuit.allow() is None
    assert changes == [("closed", "open")]


def test_a_success_clears_the_streak() -> None:
    circuit, _ = breaker(FakeClock())
    fail(circuit, 2)
    circuit.success(permit(circuit))
    fail(circuit, 2)
    assert state(circuit) is CircuitState.CLOSED


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    circuit, _ = breaker(clock)
    fail(circuit, 2)
    clock.now += 61
    fail(circuit, 2)
    assert state(circuit) is CircuitState.CLOSED
    fail(circuit)
    assert state(circuit) is CircuitState.OPEN


def test_after_the_cool_down_one_trial_goes_through() -> None:
    clock = FakeClock()
    circuit, changes = breaker(clock)
    fail(circuit, 3)
    clock.now += 29.9
    assert circuit.allow() is None
    clock.now += 0.1
    assert state(circuit) is CircuitState.HALF_OPEN

    trial = permit(circuit)
    assert trial.trial
    assert circuit.allow() is None  # only one trial at a time
    circuit.success(trial)
    assert state(circuit) is CircuitState.CLOSED
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert not permit(circuit).trial


def test_a_failed_trial_opens_it_for_another_cool_down() -> None:
    clock = FakeClock()
    circuit, changes = breaker(clock)
    fail(circuit, 3)
    clock.now += 30
    circuit.failure(permit(circuit))
    assert state(circuit) is CircuitState.OPEN
    clock.now += 29
    assert circuit.allow() is None
    clock.now += 1
    assert permit(circuit).trial
    assert changes[-2:] == [("half_open", "open"), ("open", "half_open")]


def test_a_cancelled_trial_lets_the_next_caller_try() -> None:
    clock = FakeClock()
    circuit, _ = breaker(clock)
    fail(circuit, 3)
    clock.now += 30
    circuit.cancel(permit(circuit))
    assert state(circuit) is CircuitState.HALF_OPEN
    circuit.success(permit(circuit))
    assert state(circuit) is CircuitState.CLOSED


def test_a_trial_that_never_reports_is_given_up_after_a_cool_down() -> None:
    clock = FakeClock()
    circuit, _ = breaker(clock)
    fail(circuit, 3)
    clock.now += 30
    permit(circuit)  # its caller dies
    clock.now += 10
    assert circuit.allow() is None
    clock.now += 20
    assert permit(circuit).trial


def test_a_straggler_from_before_the_opening_changes_nothing() -> None:
    clock = FakeClock()
    circuit, _ = breaker(clock)
    slow = permit(circuit)
    fail(circuit, 3)
    circuit.success(slow)  # issued while closed, reports after the circuit opened
    assert state(circuit) is CircuitState.OPEN
    clock.now += 30
    trial = permit(circuit)
    circuit.failure(slow)
    assert state(circuit) is CircuitState.HALF_OPEN
    circuit.success(trial)
    assert state(circuit) is CircuitState.CLOSED


@pytest.mark.parametrize(
    "options",
    [{"failure_threshold": 0}, {"window_s": 0}, {"cooldown_s": -1}],
)
def test_bad_options_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**options)  # type: ignore[arg-type]


def test_concurrent_failures_open_it_exactly_once() -> None:
    clock = FakeClock()
    circuit, changes = breaker(clock, failure_threshold=50)
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(100):
            granted = circuit.allow()
            if granted is not None:
                circuit.failure(granted)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state(circuit) is CircuitState.OPEN
    assert changes == [("closed", "open")]
