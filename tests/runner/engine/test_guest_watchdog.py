"""GuestWatchdog: the caller gets its answer at the deadline, whatever the guest does."""

from __future__ import annotations

import threading

import pytest

from runner.engine.guest_watchdog import GuestWatchdog


def test_result_and_exceptions_pass_through():
    watchdog = GuestWatchdog(max_workers=2, grace_s=0.1)
    assert watchdog.run(lambda: 42, timeout_s=5) == 42
    with pytest.raises(ValueError, match="boom"):
        watchdog.run(lambda: (_ for _ in ()).throw(ValueError("boom")), timeout_s=5)
    watchdog.shutdown()


def test_blocked_call_is_abandoned_then_released():
    watchdog = GuestWatchdog(max_workers=2, grace_s=0.05)
    release = threading.Event()
    with pytest.raises(TimeoutError, match="blocked past its deadline"):
        watchdog.run(release.wait, timeout_s=0.05)
    assert watchdog.abandoned() == 1
    release.set()
    for _ in range(100):
        if watchdog.abandoned() == 0:
            break
        threading.Event().wait(0.02)
    assert watchdog.abandoned() == 0
    watchdog.shutdown()


def test_call_queued_past_its_deadline_never_runs():
    watchdog = GuestWatchdog(max_workers=1, grace_s=0.05)
    release = threading.Event()
    ran = []
    with pytest.raises(TimeoutError):
        watchdog.run(release.wait, timeout_s=0.05)
    with pytest.raises(TimeoutError, match="did not start"):
        watchdog.run(lambda: ran.append(1), timeout_s=0.05)
    release.set()
    watchdog.shutdown()
    assert ran == []
