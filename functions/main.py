"""The gateway's functions-framework targets; the only target file.

    FUNCTION_TARGET=execute functions-framework --source functions/main.py

Targets: `execute` (/api/ext/<ext>/<path>), `ui_proxy` (/runner/ext-ui/...),
`health` (/healthz, /livez), `execute_event` (CloudEvents, see docs/events.md).
Importing this module builds the gateway once, so a configuration error stops the
process with one line and exit status 2.
"""

from __future__ import annotations

import sys

import flask
import functions_framework

from functions.config import ConfigError
from functions.events import handle_event
from functions.execute_http import handle_execute
from functions.gateway import get_gateway
from functions.health import handle_health
from functions.http_adapter import serve
from functions.ui_proxy import handle_ui_proxy

try:
    get_gateway()
except ConfigError as error:
    print(f"config error: {error}", file=sys.stderr)
    raise SystemExit(2) from None


@functions_framework.http
def execute(request: flask.Request) -> flask.Response:
    """Any method on /api/ext/<extensionId>/<path...> -> runner POST /v1/execute."""
    return serve("execute", request, handle_execute)


@functions_framework.http
def ui_proxy(request: flask.Request) -> flask.Response:
    """GET/HEAD /runner/ext-ui/<ext>/<hash>/<path> -> runner /ext-ui/..., streamed."""
    return serve("ui_proxy", request, handle_ui_proxy)


@functions_framework.http
def health(request: flask.Request) -> flask.Response:
    """/healthz: runner reachability (200/503); /livez: process liveness only."""
    return serve("health", request, handle_health)


@functions_framework.http
def execute_event(request: flask.Request) -> flask.Response:
    """POST a dev.extgate.execute.request.v1 CloudEvent (binary or structured) -> execute."""
    return serve("execute_event", request, handle_event)
