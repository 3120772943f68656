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
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from functions.expiring_map import ExpiringMap


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
        self._clock = clock
        # A None value marks a claim whose delivery is still executing.
        self._entries: ExpiringMap[tuple[str, str], StoredReply | None] = ExpiringMap(max_entries)
        self._lock = threading.Lock()

    def claim(self, key: tuple[str, str]) -> tuple[Claim, StoredReply | None]:
        """Take ownership of ``key`` unless it is answered or being answered."""
        now = self._clock()
        with self._lock:
            self._entries.sweep(now)
            entry = self._entries.get(key, now)
            if entry is not None and entry.value is not None:
                return Claim.REPLAY, entry.value
            if entry is not None:
                return Claim.IN_FLIGHT, None
            # An in-flight claim expires too, so a crashed request cannot block the key.
            self._entries.put(key, None, now + self._in_flight_ttl_s)
            return Claim.CLAIMED, None

    def complete(self, key: tuple[str, str], reply: StoredReply) -> None:
        """Store the final reply for a claimed key (starts its TTL)."""
        with self._lock:
            self._entries.put(key, reply, self._clock() + self._ttl_s)

    def release(self, key: tuple[str, str]) -> None:
        """Forget a claim whose delivery failed transiently, so a retry runs it again."""
        with self._lock:
            entry = self._entries.get(key, self._clock())
            if entry is not None and entry.value is None:
                self._entries.discard(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
