"""SQLite key-value store: revisions, conflicts, scoping, persistence, threads."""

from __future__ import annotations

import threading

import pytest

from runner.host.errors import HostCallError
from runner.host.storage import MAX_VALUE_BYTES, SqliteKeyValueStore

ACME = ("acme", "sample")


@pytest.fixture
def store(tmp_path):
    kv = SqliteKeyValueStore(tmp_path / "kv.sqlite3")
    yield kv
    kv.close()


def test_first_write_is_revision_one_and_each_write_bumps_it(store):
    assert store.put(ACME, "ns", "k", b"v1", None).revision == 1
    assert store.put(ACME, "ns", "k", b"v2", 1).revision == 2
    entry = store.get(ACME, "ns", "k")
    assert (entry.value, entry.revision) == (b"v2", 2)


def test_stale_revision_conflicts_with_the_current_one(store):
    store.put(ACME, "ns", "k", b"v1", None)
    store.put(ACME, "ns", "k", b"v2", 1)
    with pytest.raises(HostCallError) as info:
        store.put(ACME, "ns", "k", b"lost", 1)
    assert (info.value.case, info.value.payload) == ("conflict", 2)
    assert store.get(ACME, "ns", "k").value == b"v2"


def test_revision_zero_only_creates(store):
    store.put(ACME, "ns", "k", b"first", 0)
    with pytest.raises(HostCallError) as info:
        store.put(ACME, "ns", "k", b"second", 0)
    assert info.value.case == "conflict"


def test_missing_entry_is_not_found(store):
    with pytest.raises(HostCallError) as info:
        store.get(ACME, "ns", "absent")
    assert info.value.case == "not-found"


def test_scopes_do_not_see_each_other(store):
    store.put(ACME, "ns", "k", b"acme", None)
    with pytest.raises(HostCallError):
        store.get(("globex", "sample"), "ns", "k")
    with pytest.raises(HostCallError):
        store.get(("acme", "other-extension"), "ns", "k")


def test_delete_and_list_by_prefix(store):
    for key in ("a/1", "a/2", "b/1"):
        store.put(ACME, "ns", key, key.encode(), None)
    assert [e.key for e in store.list_entries(ACME, "ns", "a/")] == ["a/1", "a/2"]
    assert [e.key for e in store.list_entries(ACME, "ns", "")] == ["a/1", "a/2", "b/1"]
    assert store.list_entries(ACME, "ns", "%") == []
    assert store.delete(ACME, "ns", "a/1") is True
    assert store.delete(ACME, "ns", "a/1") is False
    assert [e.key for e in store.list_entries(ACME, "ns", "a/")] == ["a/2"]


def test_limits_are_invalid_input(store):
    for args in (("", "k"), ("ns", ""), ("n" * 200, "k")):
        with pytest.raises(HostCallError) as info:
            store.put(ACME, *args, b"v", None)
        assert info.value.case == "invalid-input"
    with pytest.raises(HostCallError) as info:
        store.put(ACME, "ns", "big", b"x" * (MAX_VALUE_BYTES + 1), None)
    assert info.value.case == "invalid-input"


def test_data_survives_a_new_store_on_the_same_file(tmp_path):
    first = SqliteKeyValueStore(tmp_path / "kv.sqlite3")
    first.put(ACME, "ns", "k", b"kept", None)
    first.close()
    second = SqliteKeyValueStore(tmp_path / "kv.sqlite3")
    assert second.get(ACME, "ns", "k").value == b"kept"
    second.close()


def test_concurrent_compare_and_set_has_exactly_one_winner_per_revision(store):
    store.put(ACME, "ns", "counter", b"0", None)
    outcomes: list[str] = []
    lock = threading.Lock()

    def writer() -> None:
        result = "won"
        try:
            store.put(ACME, "ns", "counter", b"x", 1)
        except HostCallError as err:
            result = err.case
        with lock:
            outcomes.append(result)
        store.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]
    assert store.get(ACME, "ns", "counter").revision == 2


def test_scope_quota_counts_replaced_values_once(tmp_path):
    kv = SqliteKeyValueStore(tmp_path / "kv.sqlite3", max_scope_bytes=10)
    kv.put(ACME, "ns", "a", b"123456", None)
    kv.put(ACME, "ns", "a", b"1234567", None)  # replacing, not adding
    with pytest.raises(HostCallError) as info:
        kv.put(ACME, "ns", "b", b"12345", None)
    assert info.value.case == "invalid-input" and "quota" in info.value.payload
    kv.put(("globex", "sample"), "ns", "b", b"12345", None)  # other scope, own quota
    kv.close()
