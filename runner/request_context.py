"""Per-request bookkeeping shared by all routes: request id and default headers.

The request id comes from ``x-request-id`` when it is a sane token (the gateway
sets it), else a new one; it is echoed on every response and in every error body.
Responses default to ``Cache-Control: no-store`` and ``nosniff``; only the
content-addressed ext-ui assets override the cache header.
"""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, current_app, g, request

from runner.config import RunnerSettings
from runner.runtime import RunnerRuntime

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_RUNTIME_KEY = "extgate.runner"
_SETTINGS_KEY = "extgate.runner.settings"


def sane_request_id(value: str | None) -> str | None:
    return value if value and _REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_runtime() -> RunnerRuntime:
    return current_app.extensions[_RUNTIME_KEY]


def current_settings() -> RunnerSettings:
    """This app's settings (an app may share a runtime built with other settings)."""
    return current_app.extensions[_SETTINGS_KEY]


def install_request_context(app: Flask, settings: RunnerSettings, runtime: RunnerRuntime) -> None:
    app.extensions[_RUNTIME_KEY] = runtime
    app.extensions[_SETTINGS_KEY] = settings

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()

    @app.after_request
    def _default_headers(resp: Response) -> Response:
        resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        request_id = getattr(g, "request_id", None)
        if request_id:
            resp.headers[REQUEST_ID_HEADER] = request_id
        return resp
