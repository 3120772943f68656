"""Replay of execute responses for requests carrying ``x-idempotency-key``.

Scope: the key is only meaningful inside one tenant + extension, so entries are
keyed by ``(tenant, extension, key)`` — the same key from another tenant runs
anew. Entries expire after a TTL and the cache is a bounded LRU. A duplicate that
arrives while the first request is still running waits for it instead of running
the guest twice. Only outcomes below 500 are kept: a timeout or a bundle fetch
failure is transient and a retry deserves a real attempt. A key reused with a
different request body is refused (409) rather than answered with a stale reply.

The cache lives in one process; with several gunicorn workers each has its own
(the default is one worker with threads, see ``runner/gunicorn_conf.py``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner.errors import RunnerError

Scope = tuple[str, str, str]


class IdempotencyKeyReused(RunnerError):
    status, code = 409, "idempotency_key_reused"


@dataclass
class _Entry:
    fingerprint: str
    done: threading.Event = field(default_factory=threading.Event)
    outcome: dict[str, Any] | None = None
    expires_at: float = 0.0


class IdempotencyCache:
    """Thread-safe bounded TTL cache of execute outcomes (JSON-ready dicts)."""

    def __init__(
        self,
        ttl_s: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        wait_timeout_s: float = 120.0,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self.wait_timeout_s = wait_timeout_s
        self._entries: OrderedDict[Scope, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def run(
        self,
        scope: Scope,
        fingerprint: str,
        compute: Callable[[], dict[str, Any]],
    ) -> tuple[dict[str, Any], bool]:
        """Return ``(outcome, replayed)``; ``compute`` runs at most once per live entry."""
        while True:
            with self._lock:
                entry = self._entries.get(scope)
                if entry is not None and entry.done.is_set() and entry.expires_at <= self.clock():
                    del self._entries[scope]
                    entry = None
                if entry is None:
                    entry = _Entry(fingerprint)
                    self._entries[scope] = entry
                    self._evict_locked()
                    owner = True
                else:
                    self._entries.move_to_end(scope)
                    owner = False
            if entry.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "x-idempotency-key was already used for a different request"
                )
            if owner:
                return self._compute(scope, entry, compute), False
            if not entry.done.wait(self.wait_timeout_s):
                return compute(), False
            if entry.outcome is not None:
                return entry.outcome, True
            # The first attempt was not cacheable (error); try again ourselves.

    def _compute(
        self, scope: Scope, entry: _Entry, compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        outcome: dict[str, Any] | None = None
        try:
            outcome = compute()
            return outcome
        finally:
            with self._lock:
                if outcome is not None and int(outcome.get("status", 500)) < 500:
                    entry.outcome = outcome
                    entry.expires_at = self.clock() + self.ttl_s
                elif self._entries.get(scope) is entry:
                    del self._entries[scope]
            entry.done.set()

    def _evict_locked(self) -> None:
        while len(self._entries) > self.max_entries:
            oldest_scope, oldest = next(iter(self._entries.items()))
            if not oldest.done.is_set():
                # Never evict in-flight work; move it back and evict the next one.
                self._entries.move_to_end(oldest_scope)
                if all(not e.done.is_set() for e in self._entries.values()):
                    return
                continue
            del self._entries[oldest_scope]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
