"""IdempotencyCache unit behaviour: scope, TTL, bound, waiting duplicates, no 5xx caching."""

from __future__ import annotations

import threading
import time

import pytest

from runner.idempotency import IdempotencyCache, IdempotencyKeyReused
from tests.support.manual_clock import ManualClock, counting_compute


def test_replay_within_ttl_then_expire(tmp_path):
    clock = ManualClock()
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10, clock=clock)
    compute, calls = counting_compute()
    assert cache.run(("t", "e", "k"), "fp", compute) == ({"status": 200, "n": 1}, False)
    assert cache.run(("t", "e", "k"), "fp", compute) == ({"status": 200, "n": 1}, True)
    clock.now += 61
    assert cache.run(("t", "e", "k"), "fp", compute) == ({"status": 200, "n": 2}, False)
    assert len(calls) == 2


def test_scope_separates_tenants_and_extensions(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10)
    compute, calls = counting_compute()
    for scope in (("a", "e", "k"), ("b", "e", "k"), ("a", "f", "k")):
        assert cache.run(scope, "fp", compute)[1] is False
    assert len(calls) == 3


def test_bounded_lru(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=3)
    compute, calls = counting_compute()
    for i in range(5):
        cache.run(("t", "e", str(i)), "fp", compute)
    assert len(cache) == 3
    cache.run(("t", "e", "0"), "fp", compute)  # evicted: runs again
    assert len(calls) == 6
    cache.run(("t", "e", "4"), "fp", compute)  # still there: replayed
    assert len(calls) == 6


def test_server_errors_are_not_kept(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10)
    compute, calls = counting_compute(status=504)
    cache.run(("t", "e", "k"), "fp", compute)
    assert cache.run(("t", "e", "k"), "fp", compute)[1] is False
    assert len(calls) == 2


def test_exceptions_release_the_key(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10)

    def boom():
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        cache.run(("t", "e", "k"), "fp", boom)
    compute, _ = counting_compute()
    assert cache.run(("t", "e", "k"), "fp", compute)[1] is False


def test_different_request_same_key_is_refused(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10)
    compute, _ = counting_compute()
    cache.run(("t", "e", "k"), "fp-1", compute)
    with pytest.raises(IdempotencyKeyReused):
        cache.run(("t", "e", "k"), "fp-2", compute)


def test_concurrent_duplicates_wait_for_the_first(tmp_path):
    cache = IdempotencyCache(tmp_path / "idem.sqlite3", ttl_s=60, max_entries=10)
    started = threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return {"status": 201}

    results = []
    first = threading.Thread(target=lambda: results.append(cache.run(("t", "e", "k"), "fp", slow)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: results.append(cache.run(("t", "e", "k"), "fp", slow)))
        for _ in range(4)
    ]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert len(calls) == 1
    assert sorted(replayed for _, replayed in results) == [False, True, True, True, True]
