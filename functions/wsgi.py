"""WSGI entry point of the function image: one functions-framework app per process.

``FUNCTION_TARGET`` (execute, ui_proxy, health, execute_event; default execute)
selects the target in ``functions/main.py``, the same file and targets that
``functions-framework --source functions/main.py --target T`` serves locally.

Knative probes the user container on a real path. Targets other than ``health``
(which owns ``/healthz`` and ``/livez`` itself) get ``GET|HEAD /livez`` answered here,
before the function: the probe must not reach ``execute``'s router (it only knows
``/api/ext/...``) and must not depend on the runner, or a runner outage would take
every gateway pod out of service instead of letting it answer 502/504.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from functions_framework import create_app

from functions.config import ServingSettings, load_serving_settings

SOURCE = Path(__file__).with_name("main.py")
LIVENESS_PATH = "/livez"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class LivenessRoute:
    """Answer ``GET|HEAD /livez`` with 200 once the process has imported its target."""

    def __init__(self, app: WSGIApp, *, target: str, revision: str | None) -> None:
        self._app = app
        body = {"status": "ok", "target": target, "revision": revision}
        self._body = json.dumps(body).encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if environ.get("PATH_INFO") != LIVENESS_PATH:
            return self._app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._app(environ, start_response)
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(self._body))),
            ("Cache-Control", "no-store"),
        ]
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [self._body]


def build_app(serving: ServingSettings) -> WSGIApp:
    """The functions-framework Flask app for the configured target, probe-ready."""
    target = serving.function_target
    flask_app = create_app(target=target, source=str(SOURCE), signature_type="http")
    if target == "health":
        return flask_app
    return LivenessRoute(flask_app, target=target, revision=serving.k_revision)


app = build_app(load_serving_settings())
