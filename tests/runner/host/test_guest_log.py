"""Guest log lines: records with request context, truncated, bounded per request."""

from __future__ import annotations

import json
import logging

from runner.host.guest_log import MAX_LINES_PER_REQUEST, MAX_MESSAGE_CHARS, GuestLog
from runner.log_format import JsonFormatter

FIELDS = {"request_id": "r-1", "tenant_id": "acme", "extension_id": "sample", "install_id": None}


def guest_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "test.guest.log"]


def test_lines_are_json_objects_with_context_and_level(caplog):
    caplog.set_level(logging.INFO, logger="test.guest.log")
    GuestLog(logging.getLogger("test.guest.log"), FIELDS).emit("warn", 'two\nlines "quoted"')
    (record,) = guest_records(caplog)
    line = JsonFormatter().format(record)
    assert "\n" not in line, "one guest message is one log line"
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["msg"] == 'two\nlines "quoted"'
    assert {k: entry[k] for k in (*FIELDS, "source")} == {**FIELDS, "source": "guest"}


def test_long_messages_are_truncated_and_lines_bounded(caplog):
    caplog.set_level(logging.INFO, logger="test.guest.log")
    log = GuestLog(logging.getLogger("test.guest.log"), FIELDS)
    log.emit("info", "x" * (MAX_MESSAGE_CHARS * 2))
    for _ in range(MAX_LINES_PER_REQUEST * 2):
        log.emit("info", "spam")
    records = guest_records(caplog)
    assert len(records[0].getMessage()) < MAX_MESSAGE_CHARS + 50
    assert len(records) == MAX_LINES_PER_REQUEST + 1
    assert records[-1].source == "runner" and "limit" in records[-1].getMessage()
