"""The one place where errors become responses.

HTTP-level errors (bad JSON, missing token, ext-ui rules, health) are JSON
``{"error", "message", "requestId"}`` with the error's status. Errors inside an
execute call keep HTTP 200 and become the contract's inner response: inner
``status``, ``error: "<code>: <message>"`` and the same JSON body, so a gateway can
pass the body through unchanged. Unexpected exceptions are logged by type only
(their text may hold secrets or host paths) and answered as 500 ``internal_error``.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException

from runner.errors import RunnerError

log = logging.getLogger("runner.errors")
NO_STORE = "no-store"


def error_body(code: str, message: str, request_id: str | None) -> dict[str, Any]:
    return {"error": code, "message": message, "requestId": request_id}


def json_error(status: int, code: str, message: str, request_id: str | None) -> Response:
    resp = Response(
        json.dumps(error_body(code, message, request_id)),
        status=status,
        mimetype="application/json",
    )
    resp.headers["Cache-Control"] = NO_STORE
    return resp


def error_response(err: RunnerError, request_id: str | None) -> Response:
    return json_error(err.status, err.code, err.message, request_id)


def inner_error_outcome(err: RunnerError, request_id: str | None) -> dict[str, Any]:
    """The contract's execute response for an error raised while executing."""
    body = json.dumps(error_body(err.code, err.message, request_id)).encode()
    return {
        "status": err.status,
        "headers": {"content-type": "application/json"},
        "body_b64": base64.b64encode(body).decode("ascii"),
        "error": f"{err.code}: {err.message}",
    }


def _request_id() -> str | None:
    return getattr(g, "request_id", None)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RunnerError)
    def _runner_error(err: RunnerError) -> Response:
        return error_response(err, _request_id())

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        code = (err.name or "http_error").lower().replace(" ", "_")
        resp = json_error(err.code or 500, code, err.description or err.name, _request_id())
        if err.code == 405 and err.response is None:
            allowed = getattr(err, "valid_methods", None)
            if allowed:
                resp.headers["Allow"] = ", ".join(allowed)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.error(
            "unhandled error",
            extra={"request_id": _request_id(), "error_type": type(err).__name__},
        )
        return json_error(500, "internal_error", "internal error", _request_id())
