"""The idempotency store shared through one SQLite file by several worker processes.

Two ``IdempotencyCache`` instances over the same file stand for two gunicorn workers:
they share nothing but the file (each has its own connections and no in-memory
state). The end-to-end check with real worker processes is in test_live_servers.py.
"""

from __future__ import annotations

import threading

import pytest

from runner.idempotency import IdempotencyCache, IdempotencyKeyReused
from tests.support.manual_clock import ManualClock, counting_compute

SCOPE = ("t", "e", "k")


@pytest.fixture
def pair(tmp_path):
    """Two 'processes' over one file, on one controllable clock."""
    clock = ManualClock(start=1_000_000.0)
    path = tmp_path / "idempotency.sqlite3"
    a, b = (
        IdempotencyCache(path, ttl_s=60, max_entries=10, clock=clock, claim_ttl_s=30)
        for _ in range(2)
    )
    yield a, b, clock
    a.close()
    b.close()


def test_second_process_replays_the_first_ones_outcome(pair):
    a, b, _ = pair
    compute, calls = counting_compute()
    assert a.run(SCOPE, "fp", compute) == ({"status": 200, "n": 1}, False)
    assert b.run(SCOPE, "fp", compute) == ({"status": 200, "n": 1}, True)
    assert len(calls) == 1
    with pytest.raises(IdempotencyKeyReused):
        b.run(SCOPE, "other-body", compute)


def test_outcome_survives_a_restart(tmp_path):
    path = tmp_path / "idempotency.sqlite3"
    compute, calls = counting_compute(201)
    first = IdempotencyCache(path, ttl_s=60, max_entries=10)
    first.run(SCOPE, "fp", compute)
    first.close()
    again = IdempotencyCache(path, ttl_s=60, max_entries=10)
    assert again.run(SCOPE, "fp", compute) == ({"status": 201, "n": 1}, True)
    assert len(calls) == 1


def test_duplicate_in_flight_in_another_process_waits_and_replays(pair):
    a, b, _ = pair
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return {"status": 201}

    results = []
    owner = threading.Thread(target=lambda: results.append(a.run(SCOPE, "fp", slow)))
    owner.start()
    assert started.wait(10)
    waiters = [
        threading.Thread(target=lambda: results.append(b.run(SCOPE, "fp", slow))) for _ in range(3)
    ]
    for t in waiters:
        t.start()
    release.set()
    for t in [owner, *waiters]:
        t.join(10)
    assert len(calls) == 1
    assert sorted(replayed for _, replayed in results) == [False, True, True, True]
    assert all(outcome == {"status": 201} for outcome, _ in results)


def test_waiter_retries_itself_when_the_owner_fails(pair):
    a, b, _ = pair
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(10)
        return {"status": 504}

    owner = threading.Thread(target=lambda: a.run(SCOPE, "fp", failing))
    owner.start()
    assert started.wait(10)
    compute, calls = counting_compute()
    result = []
    waiter = threading.Thread(target=lambda: result.append(b.run(SCOPE, "fp", compute)))
    waiter.start()
    release.set()
    for t in (owner, waiter):
        t.join(10)
    assert result == [({"status": 200, "n": 1}, False)] and len(calls) == 1


def test_claim_of_a_dead_owner_is_taken_over_after_it_expires(pair):
    a, b, clock = pair
    # 'a' claimed the key and then its process died: the claim is never completed.
    dead = a.store.acquire(SCOPE, "fp", clock(), a.claim_ttl_s)
    assert dead.kind == "owner"
    assert b.store.acquire(SCOPE, "fp", clock(), b.claim_ttl_s).kind == "pending"
    clock.now += 31
    compute, calls = counting_compute()
    assert b.run(SCOPE, "fp", compute) == ({"status": 200, "n": 1}, False)
    # A late completion by the old owner does not overwrite the new outcome.
    a.store.complete(SCOPE, dead.token, {"status": 200, "n": 99}, clock() + 60)
    assert a.run(SCOPE, "fp", compute) == ({"status": 200, "n": 1}, True)
    assert len(calls) == 1


def test_live_claim_bounds_the_wait_then_runs_uncached(tmp_path):
    path = tmp_path / "idempotency.sqlite3"
    a = IdempotencyCache(path, ttl_s=60, max_entries=10)
    b = IdempotencyCache(path, ttl_s=60, max_entries=10, wait_timeout_s=0.2)
    a.store.acquire(SCOPE, "fp", a.clock(), 3600)  # a stuck but live owner
    compute, calls = counting_compute()
    assert b.run(SCOPE, "fp", compute) == ({"status": 200, "n": 1}, False)
    assert len(calls) == 1
    assert b.store.is_pending(SCOPE, b.clock())  # the owner's claim is left alone


def test_ttl_expiry_is_seen_by_every_process(pair):
    a, b, clock = pair
    compute, calls = counting_compute()
    a.run(SCOPE, "fp", compute)
    clock.now += 59
    assert b.run(SCOPE, "fp", compute)[1] is True
    clock.now += 2
    assert b.run(SCOPE, "fp", compute) == ({"status": 200, "n": 2}, False)
    assert a.run(SCOPE, "fp", compute) == ({"status": 200, "n": 2}, True)


def test_bound_evicts_least_recently_used_done_entries_never_in_flight(tmp_path):
    path = tmp_path / "idempotency.sqlite3"
    a = IdempotencyCache(path, ttl_s=60, max_entries=3)
    b = IdempotencyCache(path, ttl_s=60, max_entries=3)
    in_flight = ("t", "e", "in-flight")
    assert a.store.acquire(in_flight, "fp", a.clock(), 30).kind == "owner"
    compute, calls = counting_compute()
    a.run(("t", "e", "0"), "fp", compute)
    b.run(("t", "e", "1"), "fp", compute)
    a.run(("t", "e", "0"), "fp", compute)  # replayed: "0" is now more recent than "1"
    b.run(("t", "e", "2"), "fp", compute)  # over the bound: "1" goes, not the claim
    assert len(a) == 3 and len(calls) == 3
    assert b.store.is_pending(in_flight, b.clock())
    assert b.run(("t", "e", "0"), "fp", compute)[1] is True
    assert b.run(("t", "e", "1"), "fp", compute)[1] is False
