"""Remember answered events so an at-least-once redelivery is replayed, not re-run.

Knative Eventing may deliver the same event (same ``source`` + ``id``) more than
once: after a timeout, a lost reply, or a Broker restart. The first complete answer
for a key is stored with a TTL; a redelivery within the TTL gets the stored answer
byte for byte and the extension is not called again. The store is bounded (oldest
entry evicted first) so a flood of unique events cannot grow memory without limit.

A redelivery that arrives while the first delivery is still executing is told to
come back later (``claim`` returns ``IN_FLIGHT``; the caller answers 409, which the
Broker retries with backoff) rather than running the extension a second time.

Scope: one process. Redeliveries that reach another gunicorn worker or pod are
deduplicated by the runner instead, because ``source`` + ``id`` is also the
runner's idempotency key (see docs/events.md).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class StoredReply:
    """What was answered for an event: enough to replay the HTTP response exactly."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Claim(Enum):
    CLAIMED = "claimed"  # the caller owns the key and must complete() or release()
    IN_FLIGHT = "in_flight"  # another delivery of the same event is executing
    REPLAY = "replay"  # a stored reply exists


@dataclass
class _Entry:
    expires_at: float
    reply: StoredReply | None  # None while in flight


class EventReplayStore:
    """Thread-safe, TTL-expiring, size-bounded map from event key to its reply."""

    def __init__(
        self,
        ttl_s: float,
        max_entries: int,
        in_flight_ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s <= 0 or max_entries < 1 or in_flight_ttl_s <= 0:
            raise ValueError("ttl_s, in_flight_ttl_s and max_entries must be positive")
        self._ttl_s = ttl_s
        self._in_flight_ttl_s = in_flight_ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def claim(self, key: tuple[str, str]) -> tuple[Claim, StoredReply | None]:
        """Take ownership of ``key`` unless it is answered or being answered."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= now:
                del self._entries[key]
                entry = None
            if entry is not None and entry.reply is not None:
                return Claim.REPLAY, entry.reply
            if entry is not None:
                return Claim.IN_FLIGHT, None
            # An in-flight claim expires too, so a crashed request cannot block the key.
            self._entries[key] = _Entry(now + self._in_flight_ttl_s, None)
            self._evict_overflow()
            return Claim.CLAIMED, None

    def complete(self, key: tuple[str, str], reply: StoredReply) -> None:
        """Store the final reply for a claimed key (starts its TTL)."""
        with self._lock:
            self._entries[key] = _Entry(self._clock() + self._ttl_s, reply)
            self._entries.move_to_end(key)
            self._evict_overflow()

    def release(self, key: tuple[str, str]) -> None:
        """Forget a claim whose delivery failed transiently, so a retry runs it again."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.reply is None:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _sweep(self, now: float) -> None:
        """Drop expired entries; a full pass at most once a second keeps claim() cheap."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 1.0
        expired = [key for key, entry in self._entries.items() if entry.expires_at <= now]
        for key in expired:
            del self._entries[key]

    def _evict_overflow(self) -> None:
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
