"""Misbehaving guests: timeouts, memory, fuel and traps stay inside their request."""

from __future__ import annotations

import json
import threading
import time

import pytest

from runner.errors import ExecuteFailed, ExecuteTimeout, FuelExhausted, MemoryLimitExceeded
from tests.runner.engine.invocations import invocation

pytestmark = pytest.mark.slow


def run(engine, host, component, url, **overrides):
    return engine.execute(
        component.content_hash, component.wasm, invocation(url, **overrides), host
    )


def ok_body(engine, host, component) -> dict:
    response = run(engine, host, component, "/ok")
    assert response.status == 200
    return json.loads(response.body)


def test_infinite_loop_is_a_timeout_not_a_trap(engine, host, misbehaving_component):
    with pytest.raises(ExecuteTimeout) as info:
        run(engine, host, misbehaving_component, "/spin", timeout_ms=300)
    assert (info.value.status, info.value.code) == (504, "execute_timeout")
    assert "300 ms" in str(info.value)
    assert ok_body(engine, host, misbehaving_component)["ok"] is True


def test_spinning_guest_does_not_block_concurrent_requests(
    engine, host, misbehaving_component, sample_component
):
    engine.prepare(sample_component.content_hash, sample_component.wasm)
    outcome: list[BaseException] = []
    spinner_started = threading.Event()

    def spin() -> None:
        spinner_started.set()
        try:
            run(engine, host, misbehaving_component, "/spin", timeout_ms=4_000)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    spinner_started.wait()
    served_while_spinning = 0
    for _ in range(5):
        response = run(engine, host, sample_component, "/hello")
        assert response.status == 200
        served_while_spinning += thread.is_alive()
    thread.join()
    assert served_while_spinning == 5, "the normal requests should finish while the guest spins"
    assert len(outcome) == 1 and isinstance(outcome[0], ExecuteTimeout)


def test_unbounded_allocation_hits_the_memory_cap(engine, host, misbehaving_component):
    with pytest.raises(MemoryLimitExceeded) as info:
        run(engine, host, misbehaving_component, "/allocate", memory_mb=64)
    assert (info.value.status, info.value.code) == (500, "memory_limit_exceeded")
    assert ok_body(engine, host, misbehaving_component)["ok"] is True


def test_memory_hog_and_normal_request_run_side_by_side(engine, host, misbehaving_component):
    errors: list[BaseException] = []

    def hog() -> None:
        try:
            run(engine, host, misbehaving_component, "/allocate", memory_mb=96)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hog) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(3):
        assert ok_body(engine, host, misbehaving_component)["ok"] is True
    for t in threads:
        t.join()
    assert [type(e) for e in errors] == [MemoryLimitExceeded, MemoryLimitExceeded]


def test_fuel_budget_stops_a_spinning_guest(engine, host, misbehaving_component):
    with pytest.raises(FuelExhausted) as info:
        run(engine, host, misbehaving_component, "/spin", fuel=50_000_000, timeout_ms=60_000)
    assert info.value.code == "fuel_exhausted"


def test_guest_exception_is_execute_failed(engine, host, misbehaving_component):
    with pytest.raises(ExecuteFailed) as info:
        run(engine, host, misbehaving_component, "/trap")
    assert (info.value.status, info.value.code) == (500, "execute_failed")
    assert "fixture trap" not in str(info.value), "guest details stay in the log"


def test_unimplemented_product_import_traps_with_a_clear_error(engine, host, misbehaving_component):
    with pytest.raises(ExecuteFailed) as info:
        run(engine, host, misbehaving_component, "/user")
    assert "import this runner does not provide" in str(info.value)


def test_each_request_gets_a_fresh_instance(engine, host, misbehaving_component):
    for _ in range(3):
        response = run(engine, host, misbehaving_component, "/state")
        assert json.loads(response.body) == {"calls_seen": 1}


def test_cap_below_the_initial_memory_fails_at_instantiation(engine, host, sample_component):
    with pytest.raises(MemoryLimitExceeded) as info:
        run(engine, host, sample_component, "/hello", memory_mb=1)
    assert "1 MB" in str(info.value)


def test_guest_blocked_in_a_host_call_is_answered_at_its_deadline(
    engine, host, misbehaving_component
):
    with pytest.raises(ExecuteTimeout):
        run(engine, host, misbehaving_component, "/sleep?s=5", timeout_ms=300)
    assert engine.abandoned_guests() == 1, "answered while the guest still sleeps"
    for _ in range(300):
        if engine.abandoned_guests() == 0:
            break
        time.sleep(0.1)
    assert engine.abandoned_guests() == 0, "the abandoned guest ends once its call returns"
    assert ok_body(engine, host, misbehaving_component)["ok"] is True
