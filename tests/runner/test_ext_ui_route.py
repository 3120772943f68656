"""GET|HEAD /ext-ui/{extensionId}/{contentHash}/{path}: every rule of contract section 1."""

from __future__ import annotations

import hashlib

import pytest

from tests.runner.conftest import UI_RULES_DIR

pytestmark = pytest.mark.slow
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def ui(make_app, ui_rules_bundle):
    client = make_app(
        EXT_UI_MAX_ASSET_BYTES="4096", EXT_UI_FRAME_ANCESTORS="'self' http://localhost:3000"
    ).test_client()
    base = f"/ext-ui/ui-rules/{ui_rules_bundle.content_hash}"
    return client, base


def etag_of(rel: str) -> str:
    return f'"sha256-{hashlib.sha256((UI_RULES_DIR / "ui" / rel).read_bytes()).hexdigest()}"'


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("", "index.html"),
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/nested", "nested/index.html"),
        ("/nested/", "nested/index.html"),
        ("/some/client/route", "index.html"),
        ("/app.js", "app.js"),
        ("/style.css", "style.css"),
        ("/data.json", "data.json"),
    ],
)
def test_served_files(ui, path, served):
    client, base = ui
    resp = client.get(base + path)
    assert resp.status_code == 200
    assert resp.data == (UI_RULES_DIR / "ui" / served).read_bytes()
    assert resp.headers["ETag"] == etag_of(served)
    assert resp.headers["Content-Length"] == str(len(resp.data))
    assert resp.headers["Cache-Control"] == IMMUTABLE
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_content_types_and_csp_only_on_html(ui):
    client, base = ui
    html = client.get(base + "/index.html")
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = html.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert csp.endswith("frame-ancestors 'self' http://localhost:3000")
    js = client.get(base + "/app.js")
    assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "Content-Security-Policy" not in js.headers
    assert client.get(base + "/style.css").headers["Content-Type"].startswith("text/css")


def test_no_frame_ancestors_unless_configured(make_app, ui_rules_bundle):
    client = make_app().test_client()
    resp = client.get(f"/ext-ui/ui-rules/{ui_rules_bundle.content_hash}/")
    assert resp.status_code == 200
    assert "frame-ancestors" not in resp.headers["Content-Security-Policy"]


def test_missing_asset_with_extension_is_404_not_index(ui):
    client, base = ui
    for path in ("/missing.js", "/nested/missing.css", "/img/logo.png"):
        resp = client.get(base + path)
        assert resp.status_code == 404
        assert resp.get_json()["error"] == "not_found"
        assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/../manifest.json",
        "/nested/../../manifest.json",
        "/%2e%2e/manifest.json",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/nested%2f..%2f..%2fmanifest.json",
        "/%252e%252e/manifest.json",
        "/./index.html",
        "//etc/passwd",
        "/.env",
        "/nested/.git/config",
        "/%2eenv",
        "/a\\..\\manifest.json",
        "/a%5c..%5cmanifest.json",
        "/index.html%00.js",
        "/bad%0aname.js",
        "/notes.txt",
        "/app.py",
    ],
)
def test_unsafe_or_unsupported_paths_are_400(ui, path):
    client, base = ui
    resp = client.get(base + path)
    assert resp.status_code == 400, (path, resp.status_code)
    body = resp.get_json()
    assert body["error"] == "invalid_path" and body["requestId"]
    assert b"runtime" not in resp.data  # never the manifest


@pytest.mark.parametrize(
    "content_hash",
    ["sha256:abc", "sha1:" + "a" * 40, "a" * 64, "sha256:" + "g" * 64, "sha256:" + "a" * 65],
)
def test_bad_content_hash_is_400(ui, content_hash):
    client, _ = ui
    resp = client.get(f"/ext-ui/ui-rules/{content_hash}/index.html")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_content_hash"


def test_content_hash_is_case_insensitive(ui, ui_rules_bundle):
    client, _ = ui
    upper = "sha256:" + ui_rules_bundle.hex.upper()
    assert client.get(f"/ext-ui/ui-rules/{upper}/app.js").status_code == 200


def test_over_the_size_limit_is_413(ui):
    client, base = ui
    resp = client.get(base + "/big/large.js")
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "asset_too_large"


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", '"other", {etag}', "W/{etag}", "*"],
    ids=["exact", "list", "weak", "star"],
)
def test_if_none_match_gives_304(ui, if_none_match):
    client, base = ui
    etag = etag_of("app.js")
    resp = client.get(base + "/app.js", headers={"If-None-Match": if_none_match.format(etag=etag)})
    assert resp.status_code == 304
    assert resp.data == b""
    assert resp.headers["ETag"] == etag
    assert resp.headers["Cache-Control"] == IMMUTABLE


def test_non_matching_etag_gives_200(ui):
    client, base = ui
    resp = client.get(base + "/app.js", headers={"If-None-Match": '"sha256-0000"'})
    assert resp.status_code == 200


def test_head_has_headers_and_no_body(ui):
    client, base = ui
    get = client.get(base + "/index.html")
    head = client.head(base + "/index.html")
    assert head.status_code == 200
    assert head.data == b""
    for name in ("ETag", "Content-Length", "Content-Type", "Content-Security-Policy"):
        assert head.headers[name] == get.headers[name]


def test_unknown_bundle_is_502_and_post_is_405(ui):
    client, _ = ui
    resp = client.get(f"/ext-ui/ui-rules/sha256:{'1' * 64}/index.html")
    assert resp.status_code == 502 and resp.get_json()["error"] == "bundle_fetch_failed"
    resp = client.post(f"/ext-ui/ui-rules/sha256:{'1' * 64}/index.html")
    assert resp.status_code == 405 and resp.get_json()["error"] == "method_not_allowed"
