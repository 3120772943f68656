"""The `execute` target's HTTP side: `/api/ext/<extensionId>/<path...>` -> core.

The route is found inside `request.path` wherever it is mounted (functions-framework
sends every path to the one target; the emulator mounts it under its own routes),
so `/api/ext/...` and `/<prefix>/api/ext/...` behave the same.
"""

from __future__ import annotations

import re

import flask

from functions.errors import RouteNotFound
from functions.execute_core import ExecuteCall, run_execute
from functions.gateway import Gateway
from functions.request_body import read_body_limited
from functions.request_log import RequestRecord

EXECUTE_ROUTE = re.compile(r"(?:^|/)api/ext/([^/]+)(/.*)?$")


def handle_execute(
    request: flask.Request, gateway: Gateway, record: RequestRecord
) -> flask.Response:
    match = EXECUTE_ROUTE.search(request.path)
    if match is None:
        raise RouteNotFound("expected /api/ext/<extensionId>/<path>")
    extension_id, path = match.group(1), match.group(2) or "/"
    record.extension = extension_id
    headers = {name.lower(): value for name, value in request.headers.items()}
    tenant_id = gateway.tenants.resolve(headers)
    record.tenant = tenant_id
    body = read_body_limited(request, gateway.settings.max_body_bytes)
    outcome = run_execute(
        ExecuteCall(
            tenant_id=tenant_id,
            extension_id=extension_id,
            method=request.method,
            path=path,
            query=request.args.to_dict(flat=True),
            headers=headers,
            body=body,
            request_id=record.request_id,
            idempotency_key=headers.get("x-idempotency-key"),
        ),
        gateway,
    )
    head_only = request.method == "HEAD"
    return flask.Response(
        b"" if head_only else outcome.body, status=outcome.status, headers=outcome.headers
    )
