"""``GET|HEAD /ext-ui/{extensionId}/{contentHash}/{path}``: an extension's UI files.

One catch-all rule parses the three parts itself, so that an absolute or
double-slash path reaches the sanitiser (400) instead of a router 404 or a
slash-merging redirect. Assets are content-addressed: a strong ETag, immutable
caching, and 304 on ``If-None-Match``. Files are streamed, never read whole.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, send_file
from werkzeug.routing import PathConverter

from runner.bundles import format_content_hash, parse_content_hash
from runner.errors import InvalidAssetPath
from runner.request_context import current_runtime, current_settings
from runner.ui_assets import (
    UiAsset,
    check_extension_id,
    etag_matches,
    html_csp,
    resolve_asset,
    sanitize_asset_path,
)

bp = Blueprint("ext_ui", __name__)
IMMUTABLE = "public, max-age=31536000, immutable"


def _split(rest: str) -> tuple[str, str, str]:
    parts = rest.split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InvalidAssetPath("expected /ext-ui/{extensionId}/{contentHash}/{path}")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def _asset_headers(resp: Response, asset: UiAsset) -> Response:
    resp.headers["ETag"] = asset.etag
    resp.headers["Cache-Control"] = IMMUTABLE
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if asset.is_html:
        resp.headers["Content-Security-Policy"] = html_csp(current_settings().ui_frame_ancestors)
    return resp


class RawPathConverter(PathConverter):
    """Like ``path`` but also matches a decoded newline, so it reaches the sanitiser."""

    regex = r"[^/](?:.|\n)*?"


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["rawpath"] = RawPathConverter


@bp.route("/ext-ui/<rawpath:rest>", methods=["GET", "HEAD"])
def ext_ui(rest: str) -> Response:
    extension_id, raw_hash, raw_path = _split(rest)
    check_extension_id(extension_id)
    content_hash = format_content_hash(parse_content_hash(raw_hash))
    rel = sanitize_asset_path(raw_path)
    runtime = current_runtime()
    bundle = runtime.bundles.get(content_hash)
    asset = resolve_asset(bundle.ui_dir, rel, current_settings().ui_max_asset_bytes)
    if etag_matches(request.headers.get("If-None-Match"), asset.etag):
        return _asset_headers(Response(status=304), asset)
    resp = send_file(
        asset.path,
        mimetype=asset.content_type,
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    resp.headers["Content-Type"] = asset.content_type
    resp.content_length = asset.size
    return _asset_headers(resp, asset)
