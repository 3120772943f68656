"""`ui_proxy`: streamed GET/HEAD to the runner's /ext-ui/ tree only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from tests.functions.conftest import CONTENT_HASH
from tests.support.loopback import serve_http
from tests.support.runner_standin import GatedAsset

ASSET_KEY = f"sample/{CONTENT_HASH}/app.js"
ASSET = b"console.log('hello');\n" * 100
ETAG = '"sha256-' + hashlib.sha256(ASSET).hexdigest() + '"'
URL = f"/runner/ext-ui/{ASSET_KEY}"


def test_get_streams_the_asset_and_drops_hop_by_hop_headers(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    response = make_client("ui_proxy").get(URL + "?v=1")
    assert response.status_code == 200
    assert response.data == ASSET
    assert response.headers["etag"] == ETAG
    assert response.headers["content-length"] == str(len(ASSET))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "keep-alive" not in response.headers
    assert "x-hop-secret" not in response.headers  # named in the runner's Connection header
    assert runner.ui_requests[-1].path == f"/ext-ui/{ASSET_KEY}?v=1"


def test_request_headers_to_the_runner_are_allowlisted(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    make_client("ui_proxy").get(
        URL,
        headers={
            "range": "bytes=0-9",
            "accept-language": "de",
            "if-modified-since": "Sat, 28 Nov 2026 00:00:00 GMT",
            "authorization": "Bearer user",
            "cookie": "sid=1",
            "x-alga-tenant": "acme",
        },
    )
    sent = runner.ui_requests[-1].headers
    assert sent["range"] == "bytes=0-9"
    assert sent["accept-language"] == "de"
    assert "if-modified-since" in sent
    assert not {"authorization", "cookie", "x-alga-tenant"} & set(sent)


def test_conditional_request_gets_304(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    response = make_client("ui_proxy").get(URL, headers={"if-none-match": ETAG})
    assert response.status_code == 304
    assert response.data == b""
    assert runner.ui_requests[-1].headers["if-none-match"] == ETAG


def test_head_has_headers_and_no_body(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    response = make_client("ui_proxy").head(URL)
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["content-length"] == str(len(ASSET))
    assert runner.ui_requests[-1].method == "HEAD"


def test_other_methods_are_405_with_allow(make_client, runner) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        response = make_client("ui_proxy").open(URL, method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD"
        assert response.get_json()["error"] == "method_not_allowed"
    assert runner.ui_requests == []


def test_missing_asset_is_404_json_without_runner_detail(make_client, runner) -> None:
    response = make_client("ui_proxy").get(f"/runner/ext-ui/sample/{CONTENT_HASH}/nope.js")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found"
    assert "/srv/cache" not in json.dumps(body)


def test_only_the_ext_ui_tree_is_reachable(make_client, runner) -> None:
    client = make_client("ui_proxy")
    assert client.get("/runner/healthz").status_code == 404
    assert client.get("/runner/v1/execute").status_code == 404
    response = client.get("/runner/ext-ui/sample/../../healthz")
    assert response.status_code in (400, 404)
    assert client.get("/runner/ext-ui/sample/%2e%2e/x").status_code == 400
    assert runner.ui_requests == []


def test_slow_runner_is_504(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    runner.delay_s = 2.0
    response = make_client("ui_proxy", EXT_GATEWAY_TIMEOUT_MS="300").get(URL)
    assert (response.status_code, response.get_json()["error"]) == (504, "runner_timeout")


def test_stopped_runner_is_502(make_client, runner) -> None:
    runner.assets[ASSET_KEY] = ASSET
    client = make_client("ui_proxy")
    assert client.get(URL).status_code == 200
    runner.stop()
    response = client.get(URL)
    assert (response.status_code, response.get_json()["error"]) == (502, "runner_unreachable")


def test_large_asset_is_streamed_not_buffered(make_client, runner) -> None:
    first, rest = b"A" * (256 * 1024), b"B" * (4 * 1024 * 1024)
    gated = GatedAsset(first, rest)
    runner.gated_assets[f"sample/{CONTENT_HASH}/big.js"] = gated
    response = make_client("ui_proxy").get(
        f"/runner/ext-ui/sample/{CONTENT_HASH}/big.js", buffered=False
    )
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(first) + len(rest))
    chunks = iter(response.response)
    received = next(chunks)
    # The stand-in is still holding back everything after `first`: the gateway
    # handed us bytes before the upstream body was complete.
    assert not gated.finished.is_set()
    assert 0 < len(received) <= len(first)
    gated.gate.set()
    body = received + b"".join(chunks)
    response.close()
    assert body == first + rest
    assert gated.finished.wait(5)


class _TokenCheckingRunner(BaseHTTPRequestHandler):
    """Answers `/ext-ui/` like the runner with RUNNER_SERVICE_TOKEN set: a missing or
    wrong `x-runner-service-token` is refused with `status` (401, or 403 from a proxy)."""

    protocol_version = "HTTP/1.1"
    token = "the-right-one"
    status = 401

    def do_GET(self) -> None:
        if self.headers.get("x-runner-service-token") == self.token:
            status, body = 200, b"console.log(1);"
        else:
            status = type(self).status
            body = json.dumps({"error": "unauthorized: bad service token"}).encode()
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        return None


@pytest.fixture
def token_checking_runner() -> Iterator[str]:
    with serve_http(_TokenCheckingRunner) as base_url:
        yield base_url


@pytest.mark.parametrize("status", [401, 403])
def test_refused_service_token_is_502_runner_auth_rejected_as_on_execute(
    make_client, token_checking_runner, monkeypatch, status
) -> None:
    """The browser did nothing wrong: a token the runner refuses is a deployment fault."""
    monkeypatch.setattr(_TokenCheckingRunner, "status", status)
    env = {"RUNNER_BASE_URL": token_checking_runner}
    good = make_client("ui_proxy", **env, RUNNER_SERVICE_TOKEN="the-right-one").get(URL)
    assert good.status_code == 200
    client = make_client("ui_proxy", **env, RUNNER_SERVICE_TOKEN="the-wrong-one")
    for method in ("GET", "HEAD"):
        response = client.open(URL, method=method)
        assert response.status_code == 502
    body = client.get(URL).get_json()
    assert body["error"] == "runner_auth_rejected"
    assert "service token" not in json.dumps(body)
