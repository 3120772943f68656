"""A size-bounded map whose entries expire: the eviction policy of in-process caches.

The HTTP install registry's answer cache and the event replay store are both keyed
by values a client chooses (extension id, event source + id), so neither may grow
without limit. An entry counts as absent once its deadline has passed; the oldest
entry is evicted when the map is full; `sweep` drops expired entries of other keys.

Not thread-safe: each owner holds its own lock around a whole look-up-then-store
sequence, which a lock in here could not make atomic.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

SWEEP_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Entry(Generic[V]):
    value: V
    expires_at: float


class ExpiringMap(Generic[K, V]):
    """At most `max_entries` entries, each live until its own `expires_at`."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._entries: OrderedDict[K, Entry[V]] = OrderedDict()
        self._next_sweep = 0.0

    def get(self, key: K, now: float) -> Entry[V] | None:
        """The live entry for `key`, or None; an expired one is dropped on the way."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= now:
            del self._entries[key]
            entry = None
        return entry

    def put(self, key: K, value: V, expires_at: float) -> None:
        """Store `value` as the newest entry, evicting the oldest beyond the bound."""
        self._entries[key] = Entry(value, expires_at)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def sweep(self, now: float) -> None:
        """Drop expired entries; a full pass at most once a second keeps callers cheap."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_S
        expired = [key for key, entry in self._entries.items() if entry.expires_at <= now]
        for key in expired:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
