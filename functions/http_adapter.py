"""The request scope every HTTP target shares: request id, errors, one log line.

`serve` resolves the request id, runs the target's handler, turns any exception
into the JSON error response (through `functions.error_responses`, the only
mapping) and emits exactly one structured log line. For streamed responses the
logged duration is the time until the headers were ready.
"""

from __future__ import annotations

from collections.abc import Callable

import flask

from functions.error_responses import error_payload
from functions.execute_core import resolve_request_id
from functions.gateway import Gateway, get_gateway
from functions.request_log import RequestRecord

Handler = Callable[[flask.Request, Gateway, RequestRecord], flask.Response]


def serve(target: str, request: flask.Request, handler: Handler) -> flask.Response:
    request_id = resolve_request_id(request.headers.get("x-request-id"))
    record = RequestRecord(
        target=target,
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1"),
        request_id=request_id,
        headers=dict(request.headers),
    )
    gateway = get_gateway()
    try:
        response = handler(request, gateway, record)
    except Exception as exc:  # noqa: BLE001 - every failure must become a JSON response
        payload = error_payload(exc, request_id)
        record.error, record.detail = payload.code, payload.log_detail
        response = payload.to_response(head_only=request.method == "HEAD")
    response.headers.setdefault("x-request-id", request_id)
    record.status = response.status_code
    gateway.log.emit(record)
    return response
