"""The one place where the emulator's own failures become JSON responses.

Gateway errors never come through here: the mounted targets answer those. This
covers what only the emulator can get wrong: an unknown path, a target not in this
build, the app dev server being down, and bugs (a generic 500 whose log line keeps
only the exception's type, never a trace or a message that might hold secrets).
"""

from __future__ import annotations

import json
import uuid

import flask
from werkzeug.exceptions import HTTPException

from emulator import console
from emulator.errors import EmulatorRequestError


def request_id() -> str:
    incoming = flask.request.headers.get("x-request-id", "")
    if incoming and len(incoming) <= 128 and incoming.isascii() and incoming.isprintable():
        return incoming
    return uuid.uuid4().hex


def json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    rid = request_id()
    body = {"error": code, "message": message, "requestId": rid}
    response = flask.Response(
        b"" if flask.request.method == "HEAD" else json.dumps(body).encode(),
        status=status,
        content_type="application/json",
    )
    response.headers["x-request-id"] = rid
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: flask.Flask) -> None:
    @app.errorhandler(EmulatorRequestError)
    def _emulator_error(exc: EmulatorRequestError):
        return json_error(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        message = (
            "no route here; see /_emulator/ for the route table" if exc.code == 404 else exc.name
        )
        return json_error(exc.code or 500, code, message, headers)

    @app.errorhandler(Exception)
    def _bug(exc: Exception):
        console.say(
            "emulator", f"internal error serving {flask.request.path}: {type(exc).__name__}"
        )
        return json_error(500, "internal_error", "the emulator failed to handle this request")
