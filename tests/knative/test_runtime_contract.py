"""The Knative Serving runtime contract, against the real server process and image.

Started as Knative starts it (random PORT, K_* set), each server must: answer its
readiness path, serve a request through a loopback runner stand-in, and on SIGTERM
during a slow request finish that request, refuse new connections, and exit 0.
Start-up time is measured by bench/knative_startup_bench.py, not asserted here.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent, from_http

from tests.knative.serving_harness import (
    FunctionContainer,
    GunicornProcess,
    docker_image_available,
    knative_env,
)
from tests.support.loopback import free_port, wait_until
from tests.support.runner_standin import RunnerStandIn

GRACEFUL_S = 10


def gateway_env(target: str, runner: RunnerStandIn, registry: str) -> dict[str, str]:
    return knative_env(target, free_port()) | {
        "RUNNER_BACKEND": "knative",
        "RUNNER_BASE_URL": runner.url,
        "INSTALL_REGISTRY_FILE": registry,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_GRACEFUL_TIMEOUT_S": str(GRACEFUL_S),
    }


@pytest.fixture(params=["process", pytest.param("container", marks=pytest.mark.docker)])
def launch(request, runner_standin, registry_file, tmp_path):
    started = []
    if request.param == "container":
        reason = docker_image_available()
        if reason:
            pytest.skip(f"SKIP (loud): container runtime-contract test needs {reason}")

    def start(target: str):
        if request.param == "process":
            server = GunicornProcess(
                gateway_env(target, runner_standin, str(registry_file)), tmp_path / f"{target}.log"
            )
        else:
            env = gateway_env(target, runner_standin, "/srv/installs.json")
            server = FunctionContainer(env, {str(registry_file): "/srv/installs.json"})
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


def call_execute(server, timeout=30):
    return requests.post(f"{server.url}/api/ext/sample/hello?x=1", data=b"ping",
                         headers={"x-alga-tenant": "acme"}, timeout=timeout)  # fmt: skip


def test_readiness_path_and_a_request(launch, runner_standin):
    server = launch("execute")
    live = requests.get(server.url + "/livez", timeout=5)
    assert live.status_code == 200
    assert live.json() == {"status": "ok", "target": "execute", "revision": "execute-00001"}
    response = call_execute(server)
    assert response.status_code == 201, response.text
    assert response.json()["path"] == "/hello" and response.json()["body"] == "ping"
    assert runner_standin.calls[0].headers["x-alga-tenant"] == "acme"


def test_event_target_serves_cloudevents(launch, runner_standin):
    server = launch("execute_event")
    event = CloudEvent({"type": "dev.extgate.execute.request.v1", "source": "/t", "id": "1",
                        "datacontenttype": "application/json"},
                       {"tenant": "acme", "extension": "sample", "path": "/hello"})  # fmt: skip
    headers, body = to_binary(event)
    response = requests.post(server.url, data=body, headers=headers | {"Prefer": "reply"},
                             timeout=30)  # fmt: skip
    assert response.status_code == 200, response.text
    assert from_http(dict(response.headers), response.content)["causeid"] == "1"


def test_sigterm_finishes_in_flight_request_refuses_new_ones_and_exits_0(launch, runner_standin):
    server = launch("execute")
    runner_standin.delay_s = 2.0
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(r=call_execute(server)))
    worker.start()
    deadline = time.monotonic() + 10
    while not runner_standin.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner_standin.calls, "the slow request never reached the runner"
    signalled = time.monotonic()
    server.sigterm()
    # gunicorn closes its listeners at once in the master and within its 1 s poll in
    # each worker; a connection that slips into the backlog before that is reset.
    refused = False
    while time.monotonic() < signalled + 3 and not refused:
        try:
            requests.get(server.url + "/livez", timeout=0.5)
        except requests.Timeout:
            pass
        except requests.ConnectionError:
            refused = True
        time.sleep(0.05)
    worker.join(30)
    assert refused, "new connections were still accepted after SIGTERM"
    assert result["r"].status_code == 201, "the in-flight request did not finish"
    assert server.wait_exit(GRACEFUL_S + 10) == 0, server.logs()
    assert time.monotonic() - signalled < GRACEFUL_S, "exit waited for the grace period"


def test_health_target_serves_runner_health(launch, runner_standin):
    server = launch("health")
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200, response.text
    runner_standin.healthy = False
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 503
    assert requests.get(server.url + "/livez", timeout=10).status_code == 200


def test_ui_proxy_target_serves_an_asset(launch, runner_standin):
    key = "sample/sha256:" + "ab" * 32 + "/index.html"
    runner_standin.assets[key] = b"<!doctype html><p>ui</p>"
    server = launch("ui_proxy")
    response = requests.get(f"{server.url}/runner/ext-ui/{key}", timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == b"<!doctype html><p>ui</p>"
    assert requests.get(server.url + "/livez", timeout=10).status_code == 200


def test_worker_count_comes_from_the_environment(runner_standin, registry_file, tmp_path):
    env = gateway_env("execute", runner_standin, str(registry_file)) | {"GUNICORN_WORKERS": "3"}
    server = GunicornProcess(env, tmp_path / "workers.log")
    try:
        server.wait_ready()  # one worker answering; the master may still be forking others
        children_file = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        wait_until(
            lambda: len(children_file.read_text().split()) >= 3, 30, "three gunicorn workers"
        )
        time.sleep(1)  # a master forking from the host's CPU count would go past 3 by now
        assert len(children_file.read_text().split()) == 3, server.logs()
        assert "workers=3 threads=4" in server.logs()
    finally:
        server.stop()


def test_bad_configuration_stops_the_server_once_with_one_line(tmp_path):
    """A missing RUNNER_BASE_URL must exit 2 from the master, not re-fork workers forever."""
    env = knative_env("execute", free_port()) | {
        "RUNNER_BACKEND": "knative",
        "INSTALL_REGISTRY_FILE": str(tmp_path / "installs.json"),
    }
    server = GunicornProcess(env, tmp_path / "bad-config.log")
    try:
        code = server.wait_exit(60)
        logs = server.logs()  # before stop(), which closes the log file
    finally:
        server.stop()
    assert code == 2, logs
    errors = [line for line in logs.splitlines() if "config error" in line]
    assert errors == [
        "config error: RUNNER_BASE_URL is required when RUNNER_BACKEND=knative; "
        "example: RUNNER_BASE_URL=http://extension-runner.extgate.svc.cluster.local"
    ]
    assert "Traceback" not in logs
