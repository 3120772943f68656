"""EventReplayStore: claims, replay, expiry and the size bound, on a controlled clock."""

from __future__ import annotations

import pytest

from functions.event_replay import Claim, EventReplayStore, StoredReply
from tests.support.manual_clock import ManualClock

REPLY = StoredReply(200, (("ce-id", "r1"),), b"{}")


def make(clock, ttl=60.0, max_entries=3, in_flight=10.0):
    return EventReplayStore(ttl, max_entries, in_flight, clock=clock)


def test_claim_complete_replay():
    store = make(ManualClock())
    assert store.claim(("s", "1")) == (Claim.CLAIMED, None)
    assert store.claim(("s", "1")) == (Claim.IN_FLIGHT, None)
    store.complete(("s", "1"), REPLY)
    assert store.claim(("s", "1")) == (Claim.REPLAY, REPLY)


def test_released_claim_runs_again():
    store = make(ManualClock())
    store.claim(("s", "1"))
    store.release(("s", "1"))
    assert store.claim(("s", "1"))[0] is Claim.CLAIMED


def test_release_never_drops_a_completed_reply():
    store = make(ManualClock())
    store.claim(("s", "1"))
    store.complete(("s", "1"), REPLY)
    store.release(("s", "1"))
    assert store.claim(("s", "1"))[0] is Claim.REPLAY


def test_replies_expire_after_the_ttl():
    clock = ManualClock()
    store = make(clock, ttl=60)
    store.claim(("s", "1"))
    store.complete(("s", "1"), REPLY)
    clock.now += 59
    assert store.claim(("s", "1"))[0] is Claim.REPLAY
    clock.now += 2
    assert store.claim(("s", "1"))[0] is Claim.CLAIMED


def test_abandoned_in_flight_claim_expires():
    clock = ManualClock()
    store = make(clock, in_flight=10)
    store.claim(("s", "1"))
    clock.now += 11
    assert store.claim(("s", "1"))[0] is Claim.CLAIMED


def test_store_is_bounded_oldest_first():
    store = make(ManualClock(), max_entries=3)
    for n in range(5):
        store.claim(("s", str(n)))
        store.complete(("s", str(n)), REPLY)
    assert len(store) == 3
    assert store.claim(("s", "0"))[0] is Claim.CLAIMED  # evicted
    assert store.claim(("s", "4"))[0] is Claim.REPLAY


def test_sweep_drops_expired_entries_of_other_keys():
    clock = ManualClock()
    store = make(clock, ttl=5, max_entries=100)
    for n in range(10):
        store.claim(("s", str(n)))
        store.complete(("s", str(n)), REPLY)
    clock.now += 10
    store.claim(("s", "new"))
    assert len(store) == 1


def test_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        EventReplayStore(0, 10, 1)
