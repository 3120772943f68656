"""Guest log lines into the runner's structured log.

Each `logging.log-*` call becomes one record on logger `extgate.runner.guest` whose
`extra` fields carry request id, tenant, extension, install and `source` (guest,
guest-stderr or runner); the runner's JSON-lines formatter (`runner/log_format.py`)
writes them as one JSON object per line, which escapes control characters, so a
guest cannot forge log lines. Lines are truncated and the number per request is
bounded, so a chatty or hostile guest cannot flood the log.
"""

from __future__ import annotations

import logging
import threading

GUEST_LOGGER_NAME = "extgate.runner.guest"
MAX_MESSAGE_CHARS = 4_096
MAX_LINES_PER_REQUEST = 200

_LEVELS = {"info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}


class GuestLog:
    """Log sink for one request."""

    def __init__(self, logger: logging.Logger, fields: dict[str, str | None]) -> None:
        self._logger = logger
        self._fields = fields
        self._lines = 0
        self._lock = threading.Lock()

    def emit(self, level: str, message: str, source: str = "guest") -> None:
        with self._lock:
            self._lines += 1
            lines = self._lines
        if lines > MAX_LINES_PER_REQUEST + 1:
            return
        if lines == MAX_LINES_PER_REQUEST + 1:
            level, message, source = "warn", "guest log limit reached; dropping lines", "runner"
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "...[truncated]"
        extra = {**self._fields, "source": source}
        self._logger.log(_LEVELS.get(level, logging.INFO), "%s", message, extra=extra)
