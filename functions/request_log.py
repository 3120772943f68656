"""One structured JSON line per gateway request, with secrets redacted.

Fields: ts, event, target, backend, request_id, tenant, extension, method, path,
query, status, error, detail, duration_ms (and the request headers at DEBUG).
Headers are only logged through `redact_headers` and query strings through
`redact_query`, so authorization, cookies and tokens are replaced by `[redacted]`
before anything is formatted.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from functions.header_policy import SENSITIVE_HEADERS

LOGGER_NAME = "extgate.gateway.requests"
REDACTED = "[redacted]"
_SENSITIVE_PARAM = re.compile(r"(token|secret|password|passwd|auth|key|session|sig)", re.I)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower(): REDACTED if _is_sensitive(name) else value for name, value in headers.items()
    }


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if _SENSITIVE_PARAM.search(k) else v) for k, v in pairs])


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in SENSITIVE_HEADERS or bool(_SENSITIVE_PARAM.search(lowered))


@dataclass
class RequestRecord:
    """Filled in while a request is handled; emitted once when it ends."""

    target: str
    method: str
    path: str
    request_id: str
    query: str = ""
    tenant: str | None = None
    extension: str | None = None
    status: int = 0
    error: str | None = None
    detail: str | None = None
    headers: Mapping[str, str] | None = None
    started: float = field(default_factory=time.perf_counter)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at emit time (works under capture)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        return None


class RequestLogger:
    def __init__(self, backend_kind: str, level: str = "INFO") -> None:
        self._backend_kind = backend_kind
        self._logger = logging.getLogger(LOGGER_NAME)
        self._logger.setLevel(level)
        if not any(isinstance(h, _StderrHandler) for h in self._logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)
        self._logger.propagate = False

    def emit(self, record: RequestRecord) -> None:
        line: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": "gateway_request",
            "target": record.target,
            "backend": self._backend_kind,
            "request_id": record.request_id,
            "tenant": record.tenant,
            "extension": record.extension,
            "method": record.method,
            "path": record.path,
            "query": redact_query(record.query) if record.query else None,
            "status": record.status,
            "error": record.error,
            "detail": record.detail,
            "duration_ms": round((time.perf_counter() - record.started) * 1000, 2),
        }
        if record.headers is not None and self._logger.isEnabledFor(logging.DEBUG):
            line["headers"] = redact_headers(record.headers)
        level = logging.ERROR if record.status >= 500 else logging.INFO
        self._logger.log(level, json.dumps({k: v for k, v in line.items() if v is not None}))
