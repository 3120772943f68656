"""``GET /healthz``: can this runner serve? 200 when every check passes, else 503.

Checks: the bundle store answers, the data dir (bundle cache, compiled
components, SQLite) is writable. Counts of cached bundles and compiled
components are reported for operators but never fail the probe. Details never
include host paths or store URLs.
"""

from __future__ import annotations

import json
import os
import tempfile

from flask import Blueprint, Response

from runner.bundles.errors import BundleError
from runner.request_context import current_runtime

bp = Blueprint("health", __name__)


def _cache_writable() -> bool:
    runtime = current_runtime()
    try:
        fd, path = tempfile.mkstemp(prefix=".health-", dir=runtime.bundles.cache_dir / "tmp")
        os.close(fd)
        os.unlink(path)
        return True
    except OSError:
        return False


def _bundle_store() -> str:
    try:
        current_runtime().bundles.store.check()
        return "ok"
    except BundleError as err:
        return f"unavailable: {err.message}"


@bp.get("/healthz")
def healthz() -> Response:
    runtime = current_runtime()
    checks = {
        "bundle_store": _bundle_store(),
        "bundle_store_kind": runtime.bundles.store.kind,
        "cache_writable": _cache_writable(),
        "bundles_cached": runtime.bundles.cached_count(),
        "compiled_components": runtime.engine.compiled_count(),
    }
    healthy = checks["bundle_store"] == "ok" and checks["cache_writable"]
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return Response(json.dumps(body), status=200 if healthy else 503, mimetype="application/json")
