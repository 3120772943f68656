"""The emulator app, served for real on loopback, in front of the runner stand-in.

Proves the emulator mounts the gateway's own targets (answers carry the gateway's
behaviour: routing headers, tenant, JSON errors), and checks the emulator's pages.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from emulator.routes import format_route_table, route_table
from emulator.targets import TARGET_NAMES, Targets
from tests.emulator.conftest import CONTENT_HASH


def test_route_table_lists_every_route_and_its_target():
    routes = route_table(None)
    text = format_route_table(routes, None)
    for shown, handler in [
        ("/api/ext/<ext>/<path>", "functions.main.execute"),
        ("/runner/<path>", "functions.main.ui_proxy"),
        ("/healthz, /livez", "functions.main.health"),
        ("POST /events", "functions.main.execute_event"),
        ("/_emulator/status.json", "emulator (status json)"),
    ]:
        assert any(shown in line and handler in line for line in text.splitlines()), shown
    assert "/*" not in text
    proxied = format_route_table(route_table("http://127.0.0.1:5173"), "http://127.0.0.1:5173")
    assert "/*" in proxied and "app dev server http://127.0.0.1:5173" in proxied


def test_execute_goes_through_the_gateway_target_to_the_runner(start_emulator):
    emu = start_emulator()
    resp = requests.get(f"{emu.url}/api/ext/sample/hello?name=x", timeout=5)
    assert resp.status_code == 201  # the stand-in's inner status, passed on by `execute`
    echoed = resp.json()
    assert echoed["path"] == "/hello" and echoed["query"] == {"name": "x"}
    assert echoed["context"]["tenant_id"] == "dev"
    assert echoed["context"]["content_hash"] == CONTENT_HASH
    call = emu.runner.calls[-1]
    assert call.headers["x-alga-tenant"] == "dev" and call.headers["x-alga-extension"] == "sample"
    assert "set-cookie" not in resp.headers  # the gateway's response allowlist applied


def test_unknown_extension_is_the_gateways_json_404(start_emulator):
    emu = start_emulator()
    resp = requests.post(f"{emu.url}/api/ext/nope/x", data=b"{}", timeout=5)
    assert resp.status_code == 404
    body = resp.json()
    assert body["error"] == "not_installed" and body["requestId"]


def test_ui_assets_stream_through_with_revalidation(start_emulator):
    emu = start_emulator()
    key = f"sample/{CONTENT_HASH}/index.html"
    emu.runner.assets[key] = b"<!doctype html><p>hi</p>"
    first = requests.get(f"{emu.url}/runner/ext-ui/{key}", timeout=5)
    assert first.status_code == 200 and first.content == b"<!doctype html><p>hi</p>"
    etag = first.headers["etag"]
    again = requests.get(
        f"{emu.url}/runner/ext-ui/{key}", headers={"If-None-Match": etag}, timeout=5
    )
    assert again.status_code == 304 and again.content == b""
    wrong = requests.post(f"{emu.url}/runner/ext-ui/{key}", timeout=5)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
    assert wrong.json()["error"] == "method_not_allowed"


def test_healthz_reports_backend_and_follows_the_runner(start_emulator):
    emu = start_emulator()
    ok = requests.get(f"{emu.url}/healthz", timeout=5)
    assert ok.status_code == 200
    assert ok.json()["backend"] == {"kind": "docker", "base_url": emu.runner.url}
    assert requests.get(f"{emu.url}/livez", timeout=5).status_code == 200
    emu.runner.stop()
    down = requests.get(f"{emu.url}/healthz", timeout=10)
    assert down.status_code == 503
    assert requests.get(f"{emu.url}/livez", timeout=5).status_code == 200


def test_events_route_mounts_execute_event(start_emulator):
    emu = start_emulator()
    resp = requests.post(f"{emu.url}/events", data=b"not an event", timeout=5)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_cloudevent"


def test_a_target_missing_from_functions_main_answers_501_json(start_emulator):
    from emulator.targets import load_targets

    found = dict(load_targets().found)
    found["execute_event"] = None
    emu = start_emulator(targets=Targets(found))
    resp = requests.post(
        f"{emu.url}/events", data=b"{}", headers={"x-request-id": "r-1"}, timeout=5
    )
    assert resp.status_code == 501
    body = resp.json()
    assert body["error"] == "target_not_available" and body["requestId"] == "r-1"
    assert "execute_event" in body["message"]
    assert set(TARGET_NAMES) == set(found)


def test_host_page_frames_each_install_from_the_backends_ui_url(start_emulator):
    emu = start_emulator()
    page = requests.get(emu.url + "/", timeout=5)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    expected = emu.ctx.gateway.backend.ui_url("sample", CONTENT_HASH, "", "dev")
    assert expected.startswith("/runner/ext-ui/sample/")  # same origin: a path, no host
    assert f'src="{expected.replace("&", "&amp;")}"' in page.text
    assert 'id="ext-sample"' in page.text


def test_host_page_explains_how_to_install_when_nothing_is(start_emulator):
    emu = start_emulator()
    emu.registry_file.write_text(json.dumps({"installs": []}))
    page = requests.get(emu.url + "/", timeout=5)
    assert "extgate bundle install" in page.text and "<iframe" not in page.text


def test_status_json_reports_routes_backend_runner_installs_and_requests(start_emulator):
    emu = start_emulator()
    requests.get(f"{emu.url}/api/ext/sample/secret?token=abc", timeout=5)
    requests.get(f"{emu.url}/_emulator/status.json", timeout=5)
    status = requests.get(f"{emu.url}/_emulator/status.json", timeout=5).json()
    assert status["backend"]["kind"] == "docker"
    assert status["backend"]["health"]["reachable"] is True
    assert status["runner"]["mode"] == "external"
    assert [i["extension_id"] for i in status["extensions"]["installs"]] == ["sample"]
    assert {r["handler"] for r in status["routes"]} >= {"execute", "ui_proxy", "health"}
    last = status["requests"][0]
    assert (last["method"], last["path"], last["status"]) == ("GET", "/api/ext/sample/secret", 201)
    assert last["duration_ms"] > 0
    assert all(not r["path"].startswith("/_emulator") for r in status["requests"])
    assert "abc" not in json.dumps(status)  # query strings are never kept
    html = requests.get(f"{emu.url}/_emulator/", timeout=5)
    assert html.status_code == 200 and "/api/ext/sample/secret" in html.text


def test_unknown_paths_and_methods_are_json_errors(start_emulator):
    emu = start_emulator()
    missing = requests.get(f"{emu.url}/no/such/page", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = requests.delete(f"{emu.url}/healthz", timeout=5)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "GET" in wrong.headers["allow"]


class _AppDevServer(ThreadingHTTPServer):
    """An app dev server on loopback; every request waits at a barrier of `parties`."""

    daemon_threads = True

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=10)
        super().__init__(("127.0.0.1", 0), _AppHandler)


class _AppHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        return None

    def do_GET(self) -> None:
        self.server.barrier.wait()
        body = json.dumps(
            {
                "path": self.path,
                "host": self.headers["host"],
                "fwd": self.headers["x-forwarded-host"],
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def app_dev_server():
    servers = []

    def start(parties: int = 1) -> str:
        server = _AppDevServer(parties)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_everything_else_goes_to_the_app_dev_server(start_emulator, app_dev_server):
    upstream = app_dev_server()
    emu = start_emulator(app_upstream=upstream)
    page = requests.get(f"{emu.url}/settings/profile?tab=2", timeout=5)
    assert page.status_code == 200
    seen = page.json()
    assert seen["path"] == "/settings/profile?tab=2"
    assert seen["host"] == urllib.parse.urlsplit(upstream).netloc
    assert seen["fwd"] == urllib.parse.urlsplit(emu.url).netloc
    assert requests.get(emu.url + "/", timeout=5).json()["path"] == "/"
    assert requests.get(f"{emu.url}/api/ext/sample/hello", timeout=5).status_code == 201
    assert requests.get(f"{emu.url}/_emulator/host", timeout=5).status_code == 200


def test_app_dev_server_down_is_a_json_502(start_emulator):
    emu = start_emulator(app_upstream="http://127.0.0.1:9")
    resp = requests.get(f"{emu.url}/anything", timeout=10)
    assert resp.status_code == 502
    assert resp.json()["error"] == "app_upstream_unreachable"
    assert "127.0.0.1:9" in resp.json()["message"]  # the developer's own URL, not internal


def test_requests_are_served_concurrently(start_emulator, app_dev_server):
    """Eight requests meet at a barrier in the upstream: serialized, they would time out."""
    parties = 8
    emu = start_emulator(app_upstream=app_dev_server(parties))
    results: list[int] = []
    lock = threading.Lock()

    def call(i: int) -> None:
        status = requests.get(f"{emu.url}/page/{i}", timeout=30).status_code
        with lock:
            results.append(status)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=40)
    assert results == [200] * parties
