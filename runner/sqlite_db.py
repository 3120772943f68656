"""One SQLite file shared by the runner's threads and worker processes.

Both the guest key-value storage and the idempotency table live in SQLite files in
the runner data dir. sqlite3 connections are not shared across threads, so each
thread gets its own autocommit connection; WAL lets readers go on while one writer
holds the lock, and the connection's ``timeout`` (SQLite's ``busy_timeout``) makes
a writer wait for the lock instead of failing. Writes that read-then-modify run
inside ``BEGIN IMMEDIATE`` so two processes cannot interleave them.

Several worker processes open the same fresh file at boot. Switching to WAL needs an
exclusive lock and SQLite does not always call the busy handler for it, so the
one-time set-up retries SQLITE_BUSY ("database is locked") itself until
``BUSY_TIMEOUT_S``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 10.0


class ThreadLocalSqlite:
    """Per-thread connections to ``path``; ``close()`` closes the calling thread's only."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._initialise(schema)

    def _initialise(self, schema: str) -> None:
        """WAL mode and the schema, retried while another process holds the lock."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.01
        script = f"BEGIN IMMEDIATE;\n{schema.strip().rstrip(';')};\nCOMMIT;"
        conn = self.connection()
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(script)
                return
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if not _is_lock_contention(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any exception."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _is_lock_contention(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or one of its extended codes (recovery, snapshot, timeout)."""
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
