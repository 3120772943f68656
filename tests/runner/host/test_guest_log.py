"""Guest log lines: JSON with request context, truncated, bounded per request."""

from __future__ import annotations

import json
import logging

from runner.host.guest_log import MAX_LINES_PER_REQUEST, MAX_MESSAGE_CHARS, GuestLog

FIELDS = {"request_id": "r-1", "tenant_id": "acme", "extension_id": "sample", "install_id": None}


def records(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "test.guest.log"]


def test_lines_are_json_with_context_and_level(caplog):
    caplog.set_level(logging.INFO, logger="test.guest.log")
    GuestLog(logging.getLogger("test.guest.log"), FIELDS).emit("warn", 'two\nlines "quoted"')
    (line,) = records(caplog)
    assert line == {**FIELDS, "level": "warn", "source": "guest", "message": 'two\nlines "quoted"'}
    assert caplog.records[0].levelno == logging.WARNING
    assert "\n" not in caplog.records[0].getMessage()


def test_long_messages_are_truncated_and_lines_bounded(caplog):
    caplog.set_level(logging.INFO, logger="test.guest.log")
    log = GuestLog(logging.getLogger("test.guest.log"), FIELDS)
    log.emit("info", "x" * (MAX_MESSAGE_CHARS * 2))
    for _ in range(MAX_LINES_PER_REQUEST * 2):
        log.emit("info", "spam")
    lines = records(caplog)
    assert len(lines[0]["message"]) < MAX_MESSAGE_CHARS + 50
    assert len(lines) == MAX_LINES_PER_REQUEST + 1
    assert lines[-1]["source"] == "runner" and "limit" in lines[-1]["message"]
