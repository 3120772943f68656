"""The one place where failures become HTTP responses.

Every 4xx/5xx the gateway produces is JSON `{"error", "message", "requestId"}`
with a stable `error` code from `functions.errors`. Anything that is not a
`GatewayError` is a bug: it becomes a generic 500 `internal_error` and only its
type name is kept for the log (no stack trace, no message that might hold secrets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Response

from functions.errors import GatewayError


@dataclass(frozen=True)
class ErrorPayload:
    status: int
    code: str
    headers: dict[str, str]
    body: dict[str, str]
    log_detail: str | None

    def json_bytes(self) -> bytes:
        return json.dumps(self.body).encode()

    def to_response(self, head_only: bool = False) -> Response:
        """The JSON error response (headers only for a HEAD request)."""
        body = b"" if head_only else self.json_bytes()
        return Response(body, status=self.status, headers=self.headers)


def error_payload(exc: BaseException, request_id: str) -> ErrorPayload:
    """Map any exception to status, headers and JSON body. Reused by events.py."""
    if not isinstance(exc, GatewayError):
        exc_type = type(exc).__name__
        exc = GatewayError(detail=f"unhandled {exc_type}")
    body = {"error": exc.code, "message": exc.message, "requestId": request_id}
    headers = {"content-type": "application/json", "x-request-id": request_id} | exc.headers()
    return ErrorPayload(exc.status, exc.code, headers, body, exc.detail)
