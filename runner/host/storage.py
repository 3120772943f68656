"""Key-value storage for extensions, persisted in SQLite under the runner data dir.

Scope: every row belongs to (tenant, extension); the scope comes from the request
context fixed by the runner, never from the guest, so one tenant's extension cannot
read another's data.

Revisions: every write sets `revision = previous + 1` (first write: 1). A put may
carry the revision the writer read: `None` writes unconditionally, `0` only creates,
`n` requires the stored revision to be exactly `n`; otherwise `conflict(current)`.
The compare and the write happen in one `BEGIN IMMEDIATE` transaction, so two
runners (processes) sharing the file cannot both win.

Quota: values of one (tenant, extension) total at most `max_scope_bytes`.

Concurrency: one connection per thread (sqlite3 connections are not shared across
threads); WAL so readers do not block the writer.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from runner.host.errors import HostCallError
from runner.host.values import StoredEntry
from runner.sqlite_db import ThreadLocalSqlite

MAX_NAMESPACE_CHARS = 128
MAX_KEY_CHARS = 512
MAX_VALUE_BYTES = 1024 * 1024
MAX_LIST_ENTRIES = 1_000
MAX_SCOPE_BYTES = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    tenant_id    TEXT    NOT NULL,
    extension_id TEXT    NOT NULL,
    namespace    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    value        BLOB    NOT NULL,
    revision     INTEGER NOT NULL,
    updated_at   REAL    NOT NULL,
    PRIMARY KEY (tenant_id, extension_id, namespace, key)
) WITHOUT ROWID
"""


class SqliteKeyValueStore:
    """Thread-safe store; `close()` closes the calling thread's connection only."""

    def __init__(self, path: Path, max_scope_bytes: int = MAX_SCOPE_BYTES) -> None:
        self.path = Path(path)
        self.max_scope_bytes = max_scope_bytes
        self._db = ThreadLocalSqlite(self.path, _SCHEMA)

    def get(self, scope: tuple[str, str], namespace: str, key: str) -> StoredEntry:
        _validate(namespace, key)
        row = (
            self._db.connection()
            .execute(
                "SELECT value, revision FROM kv WHERE tenant_id=? AND extension_id=?"
                " AND namespace=? AND key=?",
                (*scope, namespace, key),
            )
            .fetchone()
        )
        if row is None:
            raise HostCallError("not-found")
        return StoredEntry(namespace, key, bytes(row[0]), row[1])

    def put(
        self,
        scope: tuple[str, str],
        namespace: str,
        key: str,
        value: bytes,
        expected_revision: int | None,
    ) -> StoredEntry:
        _validate(namespace, key)
        if len(value) > MAX_VALUE_BYTES:
            raise HostCallError("invalid-input", f"value exceeds {MAX_VALUE_BYTES} bytes")
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT revision FROM kv WHERE tenant_id=? AND extension_id=?"
                " AND namespace=? AND key=?",
                (*scope, namespace, key),
            ).fetchone()
            current = row[0] if row else 0
            if expected_revision is not None and expected_revision != current:
                raise HostCallError("conflict", current)
            self._check_quota(conn, scope, namespace, key, len(value))
            conn.execute(
                "INSERT INTO kv (tenant_id, extension_id, namespace, key, value, revision,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (tenant_id, extension_id, namespace, key) DO UPDATE SET"
                " value=excluded.value, revision=excluded.revision,"
                " updated_at=excluded.updated_at",
                (*scope, namespace, key, value, current + 1, time.time()),
            )
        return StoredEntry(namespace, key, bytes(value), current + 1)

    def delete(self, scope: tuple[str, str], namespace: str, key: str) -> bool:
        _validate(namespace, key)
        with self._db.write() as conn:
            cursor = conn.execute(
                "DELETE FROM kv WHERE tenant_id=? AND extension_id=? AND namespace=? AND key=?",
                (*scope, namespace, key),
            )
        return cursor.rowcount > 0

    def list_entries(
        self, scope: tuple[str, str], namespace: str, prefix: str
    ) -> list[StoredEntry]:
        _validate(namespace, prefix, allow_empty_key=True)
        rows = (
            self._db.connection()
            .execute(
                "SELECT key, value, revision FROM kv WHERE tenant_id=? AND extension_id=?"
                " AND namespace=? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
                (*scope, namespace, len(prefix), prefix, MAX_LIST_ENTRIES),
            )
            .fetchall()
        )
        return [StoredEntry(namespace, key, bytes(value), rev) for key, value, rev in rows]

    def _check_quota(
        self, conn: sqlite3.Connection, scope: tuple[str, str], namespace: str, key: str, size: int
    ) -> None:
        """Bound the bytes one (tenant, extension) can store, so a guest cannot fill the disk."""
        (used,) = conn.execute(
            "SELECT COALESCE(SUM(length(value)), 0) FROM kv WHERE tenant_id=? AND extension_id=?"
            " AND NOT (namespace=? AND key=?)",
            (*scope, namespace, key),
        ).fetchone()
        if used + size > self.max_scope_bytes:
            raise HostCallError("invalid-input", f"storage quota of {self.max_scope_bytes} bytes")

    def close(self) -> None:
        self._db.close()


def _validate(namespace: str, key: str, allow_empty_key: bool = False) -> None:
    if not namespace or len(namespace) > MAX_NAMESPACE_CHARS:
        raise HostCallError("invalid-input", f"namespace must be 1-{MAX_NAMESPACE_CHARS} chars")
    if (not key and not allow_empty_key) or len(key) > MAX_KEY_CHARS:
        raise HostCallError("invalid-input", f"key must be 1-{MAX_KEY_CHARS} chars")
