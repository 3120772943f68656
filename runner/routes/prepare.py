"""``POST /v1/prepare``: fetch, extract and compile a bundle ahead of its first request.

``extgate bundle install`` calls it so an author's first click is not a 6 s
compile. Errors use the same JSON shape and codes as everywhere else.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from runner.errors import InvalidRequest
from runner.request_context import current_runtime

bp = Blueprint("prepare", __name__)


@bp.post("/v1/prepare")
def prepare() -> Response:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("content_hash"), str):
        raise InvalidRequest('body must be {"content_hash": "sha256:<64 hex>"}')
    bundle = current_runtime().prepare(payload["content_hash"])
    body = {
        "content_hash": bundle.content_hash,
        "name": bundle.manifest.name,
        "version": bundle.manifest.version,
        "compiled": True,
    }
    return Response(json.dumps(body), status=200, mimetype="application/json")
