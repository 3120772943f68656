"""Replay of execute responses for requests carrying ``x-idempotency-key``.

Scope: the key is only meaningful inside one tenant + extension, so entries are
keyed by ``(tenant, extension, key)`` — the same key from another tenant runs
anew. Entries expire after a TTL and the table is bounded (least recently used
completed entries go first, in-flight ones never). A duplicate that arrives while
the first request is still running waits for it instead of running the guest
twice. Only outcomes below 500 are kept: a timeout or a bundle fetch failure is
transient and a retry deserves a real attempt. A key reused with a different
request body is refused (409) rather than answered with a stale reply.

Why a SQLite file (``runner/idempotency_store.py``) and polling: the runner runs
several gunicorn worker processes and a retry may land on any of them, so the
state must be shared between processes, and a waiter cannot be woken by an event
in another process. It polls the row every ``poll_s`` for at most
``wait_timeout_s``, then runs the request itself (as before, uncached). A claim
whose owner died (worker crash) lapses after ``claim_ttl_s`` and the next request
takes it over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.errors import IdempotencyKeyReused
from runner.idempotency_store import IdempotencyStore, Scope

__all__ = ["IdempotencyCache", "IdempotencyKeyReused", "Scope"]


class IdempotencyCache:
    """Bounded TTL store of execute outcomes (JSON-ready dicts), shared across processes."""

    def __init__(
        self,
        path: Path,
        ttl_s: float,
        max_entries: int,
        *,
        clock: Callable[[], float] = time.time,
        wait_timeout_s: float = 120.0,
        claim_ttl_s: float = 150.0,
        poll_s: float = 0.02,
    ) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self.wait_timeout_s = wait_timeout_s
        self.claim_ttl_s = claim_ttl_s
        self.poll_s = poll_s
        self.store = IdempotencyStore(path, max_entries)

    def run(
        self,
        scope: Scope,
        fingerprint: str,
        compute: Callable[[], dict[str, Any]],
    ) -> tuple[dict[str, Any], bool]:
        """Return ``(outcome, replayed)``; ``compute`` runs at most once per live entry."""
        give_up_at = time.monotonic() + self.wait_timeout_s
        while True:
            claim = self.store.acquire(scope, fingerprint, self.clock(), self.claim_ttl_s)
            if claim.kind == "reused":
                raise IdempotencyKeyReused(
                    "x-idempotency-key was already used for a different request"
                )
            if claim.kind == "owner":
                return self._compute(scope, claim.token, compute), False
            if claim.kind == "done":
                assert claim.outcome is not None
                return claim.outcome, True
            # Pending in this or another process: wait until it is done, released
            # (not cacheable: we try ourselves) or abandoned (we take over).
            while self.store.is_pending(scope, self.clock()):
                if time.monotonic() >= give_up_at:
                    return compute(), False
                time.sleep(self.poll_s)

    def _compute(
        self, scope: Scope, token: str, compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        outcome: dict[str, Any] | None = None
        try:
            outcome = compute()
            return outcome
        finally:
            if outcome is not None and int(outcome.get("status", 500)) < 500:
                self.store.complete(scope, token, outcome, self.clock() + self.ttl_s)
            else:
                self.store.release(scope, token)

    def __len__(self) -> int:
        return self.store.count()

    def close(self) -> None:
        self.store.close()
