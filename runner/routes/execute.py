"""``POST /v1/execute``: run one extension request (contract section 1).

The HTTP status is 200 whenever the call was understood; what happened inside
is the inner ``status``/``error``. A body that is not the contract's shape is an
HTTP 400, a missing service token an HTTP 401 (see ``service_auth``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, g, request

from runner.engine import GuestResponse
from runner.error_responses import inner_error_outcome
from runner.errors import InvalidRequest, RunnerError
from runner.execute_request import ExecuteRequest, check_routing_headers, parse_execute_request
from runner.request_context import current_runtime, sane_request_id

bp = Blueprint("execute", __name__)
log = logging.getLogger("extgate.runner.execute")
IDEMPOTENCY_HEADER = "x-idempotency-key"
REPLAY_HEADER = "x-idempotent-replay"


def guest_outcome(guest: GuestResponse) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for name, value in guest.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    body = base64.b64encode(guest.body).decode("ascii") if guest.body is not None else None
    return {"status": guest.status, "headers": headers, "body_b64": body, "error": None}


def _fingerprint(call: ExecuteRequest) -> str:
    """What makes two requests 'the same' for an idempotency key."""
    material = json.dumps(
        [call.content_hash, call.method, call.path, sorted(call.query.items())],
        separators=(",", ":"),
    ).encode()
    return hashlib.sha256(material + b"\0" + (call.body or b"")).hexdigest()


def _run(call: ExecuteRequest) -> dict[str, Any]:
    try:
        return guest_outcome(current_runtime().execute(call))
    except RunnerError as err:
        if not err.inner:
            raise
        return inner_error_outcome(err, call.request_id)


def _json_response(outcome: dict[str, Any], replayed: bool) -> Response:
    resp = Response(json.dumps(outcome), status=200, mimetype="application/json")
    if replayed:
        resp.headers[REPLAY_HEADER] = "true"
    return resp


@bp.post("/v1/execute")
def execute() -> Response:
    started = time.perf_counter()
    payload = request.get_json(silent=True)
    if payload is None:
        raise InvalidRequest("request body must be a JSON object (Content-Type: application/json)")
    call = parse_execute_request(payload)
    if sane_request_id(request.headers.get("x-request-id")) is None:
        g.request_id = sane_request_id(call.request_id) or g.request_id
    call = replace(call, request_id=g.request_id)
    replayed = False
    try:
        check_routing_headers(request.headers, call)
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if key:
            scope = (call.tenant_id, call.extension_id, key[:256])
            outcome, replayed = current_runtime().idempotency.run(
                scope, _fingerprint(call), lambda: _run(call)
            )
        else:
            outcome = _run(call)
    except RunnerError as err:
        if not err.inner:
            raise
        outcome = inner_error_outcome(err, call.request_id)
    log.info(
        "execute",
        extra={
            "request_id": call.request_id,
            "tenant_id": call.tenant_id,
            "extension_id": call.extension_id,
            "method": call.method,
            "path": call.path,
            "status": outcome["status"],
            "error": (outcome["error"] or "").split(":", 1)[0] or None,
            "replayed": replayed,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return _json_response(outcome, replayed)
