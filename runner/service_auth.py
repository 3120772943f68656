"""Shared-secret check between the gateway and the runner.

When ``RUNNER_SERVICE_TOKEN`` is set, every route except the health probe needs
a matching ``x-runner-service-token`` header (constant-time compare). The token
is never logged or echoed. Without a token the runner trusts its network (it is
meant to be reachable only from the gateway).
"""

from __future__ import annotations

import hmac

from flask import Flask, request

from runner.errors import Unauthorized

TOKEN_HEADER = "x-runner-service-token"  # noqa: S105 - a header name, not a secret
OPEN_ENDPOINTS = frozenset({"health.healthz", "static"})


def token_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def require_service_token(app: Flask, expected: str | None) -> None:
    if not expected:
        return

    @app.before_request
    def _check_token() -> None:
        if request.endpoint in OPEN_ENDPOINTS:
            return
        if not token_matches(expected, request.headers.get(TOKEN_HEADER)):
            raise Unauthorized("missing or invalid x-runner-service-token")
