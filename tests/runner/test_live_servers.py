"""The runner on real loopback servers: werkzeug in a thread, and gunicorn as in the image."""

from __future__ import annotations

import contextlib
import functools
import http.client
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from runner.app import create_app
from runner.config import load_settings
from tests.runner.execute_calls import execute_body, inner_json, routing
from tests.support.loopback import (
    RUNNER_ENV_PREFIXES,
    RUNNER_GUNICORN,
    env_without,
    free_port,
    serve_http,
    wait_until,
)

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def raw_get(port: int, path: str, headers: dict[str, str] | None = None):
    """Send the path byte-for-byte (requests/urllib3 would normalise '..' away)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.fixture
def werkzeug_runner(make_app):
    app = make_app(RUNNER_SERVICE_TOKEN="live-token")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_werkzeug_server_execute_and_ui(werkzeug_runner, sample_bundle, ui_rules_bundle):
    port = werkzeug_runner
    auth = {"x-runner-service-token": "live-token"}
    base = f"http://127.0.0.1:{port}"
    resp = requests.post(
        f"{base}/v1/execute",
        json=execute_body(sample_bundle.content_hash, "/hello"),
        headers=routing(**auth),
        timeout=60,
    )
    assert resp.status_code == 200 and inner_json(resp.json())["tenant"] == "acme"
    assert requests.post(f"{base}/v1/execute", json={}, timeout=10).status_code == 401

    ui = f"/ext-ui/ui-rules/{ui_rules_bundle.content_hash}"
    status, headers, body = raw_get(port, ui + "/app.js", auth)
    assert status == 200 and body.startswith(b"document")
    status, _, _ = raw_get(port, ui + "/app.js", {**auth, "If-None-Match": headers["ETag"]})
    assert status == 304
    for evil in ("/../manifest.json", "/%2e%2e/manifest.json", "/nested%2f..%2f..%2fmanifest.json"):
        status, _, body = raw_get(port, ui + evil, auth)
        assert status == 400, evil
        assert b"invalid_path" in body


@pytest.fixture
def gunicorn_runner(bundle_store, sample_bundle, shared_runtime, tmp_path):
    # Seed the compiled-component cache as a restarted container would find it, so
    # this test does not spend a cold compile (the engine tests cover that path).
    shared_runtime.prepare(sample_bundle.content_hash)
    shutil.copytree(shared_runtime.settings.compiled_cache_dir, tmp_path / "data" / "compiled")
    port = free_port()
    env = {
        **env_without(*RUNNER_ENV_PREFIXES),
        "PORT": str(port),
        "BUNDLE_STORE_BASE": str(bundle_store),
        "RUNNER_DATA_DIR": str(tmp_path / "data"),
        "RUNNER_WORKERS": "2",
        "RUNNER_THREADS": "4",
    }
    proc = subprocess.Popen(
        RUNNER_GUNICORN,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200,
            60,
            "gunicorn runner /healthz",
            interval_s=0.2,
            alive=lambda: proc.poll() is None,
        )
    except (RuntimeError, TimeoutError) as exc:
        proc.kill()
        pytest.fail(f"gunicorn runner did not become healthy ({exc}): " + proc.stdout.read())
    yield base, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    proc.stdout.close()


def test_gunicorn_serves_and_stops_gracefully(gunicorn_runner, sample_bundle):
    base, proc = gunicorn_runner
    prep = requests.post(
        f"{base}/v1/prepare", json={"content_hash": sample_bundle.content_hash}, timeout=300
    )
    assert prep.status_code == 200
    body = execute_body(sample_bundle.content_hash, "/echo", method="POST", body=b"via gunicorn")
    resp = requests.post(f"{base}/v1/execute", json=body, headers=routing(), timeout=60)
    assert inner_json(resp.json())["body"] == "via gunicorn"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    log = proc.stdout.read()
    assert '"logger":"gunicorn.access"' in log and '"path":"/v1/execute"' in log
    assert "via gunicorn" not in log  # bodies never reach the log


def test_idempotent_retries_run_once_across_worker_processes(gunicorn_runner, sample_bundle):
    """Two gunicorn workers: retries on fresh connections reach both processes, and
    the guest still runs once (the idempotency store is shared through SQLite)."""
    base, proc = gunicorn_runner
    log: list[str] = []
    threading.Thread(target=_collect_lines, args=(proc.stdout, log), daemon=True).start()
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    body = execute_body(sample_bundle.content_hash, "/counter", method="POST", tenant=tenant)
    headers = routing(tenant, **{"x-idempotency-key": uuid.uuid4().hex})

    def attempt(_: int) -> requests.Response:
        # A module-level post: a new connection each time, as a retrying client would.
        return requests.post(f"{base}/v1/execute", json=body, headers=headers, timeout=120)

    # One worker tends to accept a whole burst: send waves until the access log shows
    # that both worker processes answered this key.
    replies: list[requests.Response] = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        for _ in range(20):
            replies.extend(pool.map(attempt, range(6)))
            if len(_execute_pids(log)) == 2:
                break
    assert len(_execute_pids(log)) == 2, "every attempt reached the same worker"
    assert {r.status_code for r in replies} == {200}
    assert len({r.content for r in replies}) == 1
    assert inner_json(replies[0].json())["value"] == 1
    replayed = [r.headers.get("x-idempotent-replay") for r in replies]
    assert replayed.count(None) == 1 and replayed.count("true") == len(replies) - 1
    check = execute_body(sample_bundle.content_hash, "/counter", tenant=tenant)
    out = requests.post(f"{base}/v1/execute", json=check, headers=routing(tenant), timeout=60)
    assert inner_json(out.json())["value"] == 1


def _collect_lines(stream, into: list[str]) -> None:
    try:
        for line in stream:
            into.append(line)
    except (OSError, ValueError):  # the fixture closed the pipe
        pass


def _execute_pids(log: list[str]) -> set[str]:
    """Worker pids of the access lines for /v1/execute (the access format carries them)."""
    return {
        json.loads(line)["pid"]
        for line in list(log)
        if '"logger":"gunicorn.access"' in line and '"path":"/v1/execute"' in line
    }


def test_gunicorn_config_error_is_one_line(tmp_path):
    env = {**env_without(*RUNNER_ENV_PREFIXES), "PORT": "http", "RUNNER_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        RUNNER_GUNICORN,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PORT" in (result.stderr + result.stdout) and "example: PORT=8080" in (
        result.stderr + result.stdout
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"RUNNER_DEFAULT_TIMEOUT_MS": "abc"},
            "config error: RUNNER_DEFAULT_TIMEOUT_MS must be an integer, got 'abc'; "
            "example: RUNNER_DEFAULT_TIMEOUT_MS=5000",
        ),
        ({"RUNNER_DATA_DIR": "/proc/not-writable"}, "config error: RUNNER_DATA_DIR is not usable"),
    ],
)
def test_gunicorn_stops_once_on_a_bad_runner_setting(tmp_path, env, expected):
    """The master checks the settings: workers exiting 2 would be re-forked forever."""
    env = {
        **env_without(*RUNNER_ENV_PREFIXES),
        "PORT": str(free_port()),
        "RUNNER_DATA_DIR": str(tmp_path),
        **env,
    }
    proc = subprocess.Popen(
        RUNNER_GUNICORN,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail("gunicorn kept running on a bad setting: " + (stdout + stderr)[-2000:])
    assert proc.returncode == 2
    assert "Booting worker" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), stderr


class QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_runner_on_an_http_bundle_store(bundle_store, sample_bundle, shared_runtime, tmp_path):
    """BUNDLE_STORE_BASE=http://...: the app fetches from a real loopback HTTP server."""
    handler = functools.partial(QuietFiles, directory=str(bundle_store))
    shared_runtime.prepare(sample_bundle.content_hash)  # reuse the compiled component
    shutil.copytree(shared_runtime.settings.compiled_cache_dir, tmp_path / "data" / "compiled")
    with contextlib.ExitStack() as store:
        env = {
            "BUNDLE_STORE_BASE": store.enter_context(serve_http(handler)),
            "RUNNER_DATA_DIR": str(tmp_path / "data"),
        }
        app = create_app(load_settings(env))
        client = app.test_client()
        try:
            health = client.get("/healthz").get_json()
            assert health["checks"]["bundle_store"] == "ok"
            assert health["checks"]["bundle_store_kind"] == "http"
            body = execute_body(sample_bundle.content_hash, "/hello")
            out = client.post("/v1/execute", json=body, headers=routing()).get_json()
            assert out["status"] == 200 and inner_json(out)["tenant"] == "acme"
            missing = execute_body("sha256:" + "9" * 64, "/hello")
            out = client.post("/v1/execute", json=missing, headers=routing()).get_json()
            assert out["status"] == 502 and out["error"].startswith("bundle_fetch_failed")
            assert "127.0.0.1" not in out["error"]  # no internal URLs leak
            store.close()  # the bundle store goes down
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.get_json()["checks"]["bundle_store"].startswith("unavailable")
            # Already-extracted bundles keep working while the store is down.
            out = client.post("/v1/execute", json=body, headers=routing()).get_json()
            assert out["status"] == 200
        finally:
            app.extensions["extgate.runner"].close()
