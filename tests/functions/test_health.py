"""`health`: /healthz asks the runner, /livez never does."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("backend", ["knative", "docker"])
def test_healthz_reports_backend_and_runner(make_client, runner, backend) -> None:
    env = {"RUNNER_BACKEND": backend, "RUNNER_DOCKER_HOST": runner.url}
    response = make_client("health", **env).get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["backend"] == {"kind": backend, "base_url": runner.url}
    assert body["runner"]["reachable"] is True
    assert body["runner"]["latency_ms"] >= 0
    assert body["version"]
    assert response.headers["cache-control"] == "no-store"


def test_healthz_is_503_when_runner_unhealthy_or_gone(make_client, runner) -> None:
    client = make_client("health")
    runner.healthy = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["runner"]["status_code"] == 503
    runner.stop()
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["runner"] == {
        "reachable": False,
        "latency_ms": None,
        "status_code": None,
        "detail": "runner_unreachable",
    }


def test_healthz_never_shows_credentials(make_client, runner) -> None:
    with_creds = runner.url.replace("http://", "http://admin:hunter2@")
    response = make_client("health", RUNNER_BASE_URL=with_creds).get("/healthz")
    assert "hunter2" not in response.get_data(as_text=True)
    assert response.get_json()["backend"]["base_url"] == runner.url


def test_livez_does_not_touch_the_runner(make_client, runner) -> None:
    client = make_client("health")
    runner.stop()
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert client.get("/some/prefix/livez").status_code == 200


def test_health_methods_and_paths(make_client) -> None:
    client = make_client("health")
    response = client.post("/healthz")
    assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD")
    assert client.get("/").status_code == 200
    assert client.head("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 404
