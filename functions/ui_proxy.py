"""The `ui_proxy` target: GET/HEAD `/runner/ext-ui/<path>` -> runner `/ext-ui/<path>`.

Only the runner's `/ext-ui/` tree is reachable (never `/v1/execute` or `/healthz`),
dot segments are refused before the URL is built, and bodies are streamed chunk by
chunk, so a large asset is never held in gateway memory. Conditional and range
requests pass through (304, 206); hop-by-hop headers are dropped both ways. Runner
errors become the gateway's JSON errors with the runner's stable code only.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import flask

from functions.backends import UiAssetResponse
from functions.errors import BadRequest, MethodNotAllowed, RouteNotFound, RunnerRejected
from functions.gateway import Gateway
from functions.header_policy import UI_REQUEST_HEADERS, pick, ui_response_headers
from functions.request_log import RequestRecord

UI_METHODS = ("GET", "HEAD")
UI_ROUTE = re.compile(r"(?:^|/)ext-ui/(.*)$")
ERROR_BODY_PEEK_BYTES = 4096
_STATUS_CODES = {400: "bad_request", 404: "not_found", 413: "payload_too_large"}


def handle_ui_proxy(
    request: flask.Request, gateway: Gateway, record: RequestRecord
) -> flask.Response:
    if request.method not in UI_METHODS:
        raise MethodNotAllowed(UI_METHODS)
    match = UI_ROUTE.search(request.path)
    if match is None:
        raise RouteNotFound("expected /runner/ext-ui/<extensionId>/<contentHash>/<path>")
    asset_path = match.group(1)
    segments = asset_path.split("/")
    if any(segment in (".", "..") or "\\" in segment for segment in segments):
        raise BadRequest("asset path must not contain dot segments or backslashes")
    record.extension = segments[0] or None
    headers = pick(request.headers, UI_REQUEST_HEADERS)
    headers["x-request-id"] = record.request_id
    asset = gateway.backend.fetch_ui_asset(
        quote(asset_path, safe="/:@!$&'()*+,;=-._~"),
        request.query_string.decode("latin-1"),
        request.method,
        headers,
    )
    if asset.status >= 400:
        raise _asset_error(asset)
    response = flask.Response(
        asset.body,
        status=asset.status,
        headers=ui_response_headers(asset.headers),
        direct_passthrough=True,
    )
    response.call_on_close(asset.release)
    return response


def _asset_error(asset: UiAssetResponse) -> RunnerRejected:
    """Keep only a stable code from the runner's error body, then free the connection."""
    try:
        peek = next(asset.body, b"")[:ERROR_BODY_PEEK_BYTES]
    finally:
        asset.release()
    try:
        raw = json.loads(peek).get("error")
    except (ValueError, AttributeError):
        raw = None
    fallback = _STATUS_CODES.get(asset.status, "runner_error")
    status = asset.status if asset.status < 500 else 502
    return RunnerRejected(status, raw if isinstance(raw, str) else fallback)
