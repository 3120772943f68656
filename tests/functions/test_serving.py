"""`functions-framework --source functions/main.py` as a real process, both backends."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.functions.conftest import CONTENT_HASH
from tests.support.loopback import env_without, free_port, wait_until
from tests.support.runner_standin import GatedAsset

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS_FRAMEWORK = str(Path(sys.executable).parent / "functions-framework")


@contextmanager
def serve(target: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    clean = env_without("RUNNER_", "EXT_")
    process = subprocess.Popen(
        [FUNCTIONS_FRAMEWORK, "--source", "functions/main.py", "--port", str(port),
         "--host", "127.0.0.1"],
        cwd=REPO, env=clean | env | {"FUNCTION_TARGET": target},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(
                lambda: _accepts(port),
                30,
                "functions-framework port",
                alive=lambda: process.poll() is None,
            )
        except (RuntimeError, TimeoutError):
            out, err = process.communicate(timeout=5)
            pytest.fail(f"functions-framework did not start: {err[-2000:]}")
        yield base
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _accepts(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    return True


@pytest.fixture(params=["knative", "docker"])
def backend_env(request, runner, registry_file) -> dict[str, str]:
    env = {"RUNNER_BACKEND": request.param, "INSTALL_REGISTRY_FILE": str(registry_file)}
    env["RUNNER_BASE_URL" if request.param == "knative" else "RUNNER_DOCKER_HOST"] = runner.url
    return env


def test_execute_target_serves_against_the_runner(backend_env, runner) -> None:
    with serve("execute", backend_env | {"EXT_GATEWAY_MAX_BODY_BYTES": "2048"}) as base:
        response = requests.post(
            f"{base}/api/ext/sample/hello?x=1",
            json={"hi": 1},
            headers={"x-alga-tenant": "acme", "authorization": "Bearer nope"},
            timeout=10,
        )
        assert response.status_code == 201
        echo = response.json()
        assert (echo["path"], echo["query"], json.loads(echo["body"])) == ("/hello", {"x": "1"},
                                                                          {"hi": 1})  # fmt: skip
        assert runner.calls[-1].headers["x-alga-tenant"] == "acme"
        assert "authorization" not in runner.calls[-1].headers

        chunked = requests.post(
            f"{base}/api/ext/sample/upload",
            data=(b"z" * 512 for _ in range(8)),  # a generator is sent chunked, no length
            headers={"x-alga-tenant": "acme"},
            timeout=10,
        )
        assert chunked.status_code == 413
        assert chunked.json()["error"] == "payload_too_large"
        assert len(runner.calls) == 1


def test_ui_proxy_target_serves_against_the_runner(backend_env, runner) -> None:
    key = f"sample/{CONTENT_HASH}/index.html"
    runner.assets[key] = b"<!doctype html><title>ui</title>"
    with serve("ui_proxy", backend_env) as base:
        response = requests.get(f"{base}/runner/ext-ui/{key}", timeout=10)
        assert response.status_code == 200
        assert response.content == runner.assets[key]
        etag = response.headers["etag"]
        again = requests.get(f"{base}/runner/ext-ui/{key}", headers={"if-none-match": etag},
                             timeout=10)  # fmt: skip
        assert again.status_code == 304
        post = requests.post(f"{base}/runner/ext-ui/{key}", timeout=10)
        assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")


def test_ui_proxy_streams_through_the_real_server(backend_env, runner) -> None:
    first, rest = b"A" * 65536, b"B" * (2 * 1024 * 1024)
    gated = GatedAsset(first, rest)
    runner.gated_assets[f"sample/{CONTENT_HASH}/big.js"] = gated
    with serve("ui_proxy", backend_env) as base:
        url = f"{base}/runner/ext-ui/sample/{CONTENT_HASH}/big.js"
        with requests.get(url, stream=True, timeout=10) as response:
            assert response.status_code == 200
            head = response.raw.read(len(first))
            assert head == first
            assert not gated.finished.is_set()  # the upstream body is still incomplete
            gated.gate.set()
            assert response.raw.read() == rest
        assert gated.finished.wait(5)


def test_health_target_serves_against_the_runner(backend_env, runner) -> None:
    with serve("health", backend_env) as base:
        body = requests.get(f"{base}/healthz", timeout=10).json()
        assert body["backend"]["kind"] == backend_env["RUNNER_BACKEND"]
        assert body["runner"]["reachable"] is True
        runner.stop()
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 503
        assert requests.get(f"{base}/livez", timeout=10).status_code == 200
