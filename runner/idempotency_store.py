"""The idempotency table in SQLite, shared by every worker process of one runner.

Why SQLite: the runner serves with several gunicorn worker processes (wasmtime
instantiation does not scale with threads inside one process, see
``runner/gunicorn_conf.py``), and a retry may land on any of them. A file in the
runner data dir is visible to all of them, survives a worker restart, and needs no
extra service.

One row per ``(tenant, extension, key)``: ``pending`` while a request owns the
claim (``token`` names the owner, ``expires_at`` is when the claim lapses if the
owner died), ``done`` once the outcome is stored (``expires_at`` is then the end
of the replay TTL). Every state change is one ``BEGIN IMMEDIATE`` transaction, so
two processes cannot both claim a key. ``used_seq`` orders rows by last use for
eviction; in-flight rows are never evicted.

Concurrency: one connection per thread (sqlite3 connections are not shared across
threads), WAL so pollers do not block writers, ``busy_timeout`` for the write lock.
Times come from the caller's clock and must be wall-clock (they outlive a process).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from runner.sqlite_db import ThreadLocalSqlite

Scope = tuple[str, str, str]
ClaimKind = Literal["owner", "done", "pending", "reused"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    tenant_id    TEXT    NOT NULL,
    extension_id TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'done')),
    token        TEXT    NOT NULL,
    outcome      TEXT,
    expires_at   REAL    NOT NULL,
    used_seq     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, extension_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_used ON idempotency (used_seq);
"""


@dataclass(frozen=True)
class Claim:
    """What ``acquire`` found: our own claim, a stored outcome, someone else's claim."""

    kind: ClaimKind
    token: str = ""
    outcome: dict[str, Any] | None = None


class IdempotencyStore:
    """Thread- and process-safe; ``close()`` closes the calling thread's connection only."""

    def __init__(self, path: Path, max_entries: int) -> None:
        self.path = Path(path)
        self.max_entries = max_entries
        self._db = ThreadLocalSqlite(self.path, _SCHEMA)

    def acquire(self, scope: Scope, fingerprint: str, now: float, claim_ttl_s: float) -> Claim:
        """Claim the key if it is free (absent, expired or abandoned), else report its state."""
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT fingerprint, state, outcome, expires_at FROM idempotency"
                " WHERE tenant_id=? AND extension_id=? AND key=?",
                scope,
            ).fetchone()
            if row is not None and row[3] <= now:
                conn.execute(
                    "DELETE FROM idempotency WHERE tenant_id=? AND extension_id=? AND key=?", scope
                )
                row = None
            if row is None:
                token = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO idempotency (tenant_id, extension_id, key, fingerprint, state,"
                    " token, outcome, expires_at, used_seq) VALUES (?, ?, ?, ?, 'pending', ?,"
                    " NULL, ?, ?)",
                    (*scope, fingerprint, token, now + claim_ttl_s, _next_seq(conn)),
                )
                self._evict(conn, now)
                return Claim("owner", token)
            stored_fingerprint, state, outcome, _ = row
            if stored_fingerprint != fingerprint:
                return Claim("reused")
            if state == "pending":
                return Claim("pending")
            conn.execute(
                "UPDATE idempotency SET used_seq=? WHERE tenant_id=? AND extension_id=? AND key=?",
                (_next_seq(conn), *scope),
            )
            return Claim("done", outcome=json.loads(outcome))

    def is_pending(self, scope: Scope, now: float) -> bool:
        """Read-only poll: is the key still claimed by a live owner?"""
        row = (
            self._db.connection()
            .execute(
                "SELECT state, expires_at FROM idempotency"
                " WHERE tenant_id=? AND extension_id=? AND key=?",
                scope,
            )
            .fetchone()
        )
        return row is not None and row[0] == "pending" and row[1] > now

    def complete(
        self, scope: Scope, token: str, outcome: dict[str, Any], expires_at: float
    ) -> None:
        """Store the owner's outcome; a no-op if its claim was taken over meanwhile."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE idempotency SET state='done', outcome=?, expires_at=?"
                " WHERE tenant_id=? AND extension_id=? AND key=? AND token=? AND state='pending'",
                (json.dumps(outcome), expires_at, *scope, token),
            )

    def release(self, scope: Scope, token: str) -> None:
        """Drop the owner's claim (uncacheable outcome or error) so a retry runs anew."""
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE tenant_id=? AND extension_id=? AND key=?"
                " AND token=? AND state='pending'",
                (*scope, token),
            )

    def count(self) -> int:
        return self._db.connection().execute("SELECT COUNT(*) FROM idempotency").fetchone()[0]

    def _evict(self, conn: sqlite3.Connection, now: float) -> None:
        """Over the bound: delete expired rows, then the least recently used done ones."""
        excess = conn.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0] - self.max_entries
        if excess > 0:
            conn.execute(
                "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency"
                " WHERE state='done' ORDER BY expires_at > ?, used_seq LIMIT ?)",
                (now, excess),
            )

    def close(self) -> None:
        self._db.close()


def _next_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(used_seq), 0) + 1 FROM idempotency").fetchone()[0]
