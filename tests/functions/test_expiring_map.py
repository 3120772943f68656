"""ExpiringMap: the bound and expiry shared by the registry cache and the replay store."""

from __future__ import annotations

import pytest

from functions.expiring_map import ExpiringMap


def test_never_holds_more_than_the_bound_and_evicts_the_oldest() -> None:
    cache: ExpiringMap[str, int] = ExpiringMap(max_entries=3)
    for n in range(50):
        cache.put(str(n), n, expires_at=100.0)
        assert len(cache) <= 3
    assert [cache.get(str(n), 0.0) is not None for n in (46, 47, 48, 49)] == [
        False, True, True, True
    ]  # fmt: skip


def test_storing_again_makes_a_key_the_newest() -> None:
    cache: ExpiringMap[str, int] = ExpiringMap(max_entries=2)
    cache.put("a", 1, 100.0)
    cache.put("b", 2, 100.0)
    cache.put("a", 3, 100.0)
    cache.put("c", 4, 100.0)
    assert cache.get("b", 0.0) is None
    assert cache.get("a", 0.0).value == 3


def test_expired_entries_are_absent_and_swept() -> None:
    cache: ExpiringMap[str, None] = ExpiringMap(max_entries=10)
    cache.put("a", None, expires_at=5.0)
    cache.put("b", None, expires_at=50.0)
    entry = cache.get("a", 4.9)
    assert entry is not None and entry.value is None  # a stored None is still an entry
    assert cache.get("a", 5.0) is None
    cache.put("c", None, expires_at=5.0)
    cache.sweep(10.0)
    assert len(cache) == 1


def test_rejects_a_bound_below_one() -> None:
    with pytest.raises(ValueError):
        ExpiringMap(0)
