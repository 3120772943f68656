"""Worker processes opening the same fresh SQLite file at once (gunicorn boot).

Regression: two runner workers booting together could fail with "database is locked"
while one switched the file to WAL, and the worker died (seen in CI as a runner
container that never became healthy).
"""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from runner.sqlite_db import BUSY_TIMEOUT_S, ThreadLocalSqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT);"
PROCESSES = 12
ROUNDS = 15


def _open_together(path: str, barrier, results) -> None:
    barrier.wait()
    try:
        db = ThreadLocalSqlite(path, SCHEMA)
        with db.write() as conn:
            conn.execute(
                "INSERT INTO kv VALUES (?, ?)", (str(multiprocessing.current_process().pid), "x")
            )
        results.put("ok")
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(repr(exc))


@pytest.mark.timeout(120)
def test_many_processes_initialise_one_fresh_file(tmp_path):
    ctx = multiprocessing.get_context("fork")
    failures: list[str] = []
    for round_no in range(ROUNDS):
        path = str(tmp_path / f"round-{round_no}.db")
        barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
        procs = [
            ctx.Process(target=_open_together, args=(path, barrier, results))
            for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        failures += [o for o in outcomes if o != "ok"]
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("SELECT count(*) FROM kv").fetchone()[0] == outcomes.count("ok")
    assert failures == []


def test_a_real_error_is_not_retried(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        ThreadLocalSqlite(tmp_path / "x.db", "CREATE TABLE (;")


def test_connections_wait_for_the_lock(tmp_path):
    db = ThreadLocalSqlite(tmp_path / "x.db", SCHEMA)
    busy_ms = db.connection().execute("PRAGMA busy_timeout").fetchone()[0]
    assert busy_ms == int(BUSY_TIMEOUT_S * 1000) == 10_000
