"""The `health` target: `/healthz` (readiness, asks the runner) and `/livez`.

`/livez` never touches the runner, so an orchestrator does not restart healthy
gateways because the runner is down; `/healthz` reports 503 in that case so traffic
is held back instead. The runner's base URL is shown without credentials.
"""

from __future__ import annotations

import flask

from functions.errors import MethodNotAllowed, RouteNotFound
from functions.gateway import Gateway
from functions.request_log import RequestRecord

HEALTH_METHODS = ("GET", "HEAD")


def handle_health(
    request: flask.Request, gateway: Gateway, record: RequestRecord
) -> flask.Response:
    if request.method not in HEALTH_METHODS:
        raise MethodNotAllowed(HEALTH_METHODS)
    path = request.path.rstrip("/")
    version = gateway.settings.version
    if path.endswith("/livez"):
        body = {"status": "ok", "version": version, "backend": gateway.backend.kind}
        return _json(body, 200, request.method)
    if path and not path.endswith("/healthz"):
        raise RouteNotFound("expected /healthz or /livez")
    identity = gateway.backend.identity()
    runner = gateway.backend.health()
    body = {
        "status": "ok" if runner.reachable else "unavailable",
        "version": version,
        "backend": {"kind": identity.kind, "base_url": identity.base_url},
        "runner": {
            "reachable": runner.reachable,
            "latency_ms": runner.latency_ms,
            "status_code": runner.status_code,
            "detail": runner.detail,
        },
    }
    return _json(body, 200 if runner.reachable else 503, request.method)


def _json(body: dict, status: int, method: str) -> flask.Response:
    response = flask.json.jsonify(body) if method != "HEAD" else flask.Response(b"")
    response.status_code = status
    response.headers["cache-control"] = "no-store"
    return response
