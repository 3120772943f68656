"""Backend selection, identity, UI URLs and Docker discovery."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from functions.backends import RunnerBackend, build_backend
from functions.backends.docker import DockerRunnerBackend, published_base_url
from functions.backends.factory import BACKENDS
from functions.backends.knative import KnativeRunnerBackend
from functions.config import BACKEND_KINDS, load_settings
from functions.errors import RunnerNotConfigured
from tests.support.loopback import wait_until

HASH = "sha256:" + "cd" * 32


@pytest.mark.parametrize(
    ("env", "cls", "kind"),
    [
        ({"RUNNER_BASE_URL": "http://r.svc"}, KnativeRunnerBackend, "knative"),
        ({"RUNNER_BACKEND": "docker", "RUNNER_DOCKER_HOST": "http://h:1"}, DockerRunnerBackend,
         "docker"),
    ],
)  # fmt: skip
def test_factory_selects_by_runner_backend(env, cls, kind) -> None:
    backend = build_backend(load_settings(env))
    assert isinstance(backend, cls) and isinstance(backend, RunnerBackend)
    assert backend.kind == kind
    backend.close()


def test_every_configurable_backend_kind_has_a_backend() -> None:
    """load_settings validates RUNNER_BACKEND against BACKEND_KINDS; the factory trusts it."""
    assert set(BACKENDS) == set(BACKEND_KINDS)


def test_knative_gateway_works_without_the_docker_sdk(runner, registry_file) -> None:
    """The function image has no `docker` package: nothing may import it eagerly."""
    code = (
        "import sys; sys.modules['docker'] = None\n"
        "from functions.gateway import get_gateway\n"
        "from functions.backends import build_backend\n"
        "from functions.config import ConfigError, load_settings\n"
        "print(get_gateway().backend.health().reachable)\n"
        "try:\n"
        "    build_backend(load_settings({'RUNNER_BACKEND': 'docker'}))\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    env = {"RUNNER_BASE_URL": runner.url, "INSTALL_REGISTRY_FILE": str(registry_file),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "True"
    assert lines[1].startswith("RUNNER_DOCKER_HOST is required when RUNNER_BACKEND=docker")


def test_ui_url_uses_the_public_base() -> None:
    backend = build_backend(load_settings({"RUNNER_BASE_URL": "http://r.svc"}))
    assert backend.ui_url("sample", HASH) == (
        f"/runner/ext-ui/sample/{HASH}/index.html?extensionId=sample"
    )
    assert backend.ui_url("sample", HASH, "/assets/app.js", tenant="acme") == (
        f"/runner/ext-ui/sample/{HASH}/assets/app.js?extensionId=sample&tenant=acme"
    )
    public = load_settings(
        {"RUNNER_BACKEND": "docker", "RUNNER_DOCKER_HOST": "http://h:1",
         "RUNNER_PUBLIC_BASE": "https://ui.example.com/runner/"}
    )  # fmt: skip
    assert (
        build_backend(public)
        .ui_url("sample", HASH)
        .startswith(f"https://ui.example.com/runner/ext-ui/sample/{HASH}/index.html")
    )


def test_identity_strips_credentials() -> None:
    backend = build_backend(load_settings({"RUNNER_BASE_URL": "https://u:p@r.svc:8443/base"}))
    assert backend.identity().base_url == "https://r.svc:8443/base"


def test_published_port_is_read_from_container_attrs() -> None:
    bindings = [{"HostIp": "::", "HostPort": "49160"}, {"HostIp": "0.0.0.0", "HostPort": "49153"}]
    attrs = {"NetworkSettings": {"Ports": {"8080/tcp": bindings}}}
    assert published_base_url(attrs) == "http://127.0.0.1:49153"
    local = {
        "NetworkSettings": {"Ports": {"8080/tcp": [{"HostIp": "127.0.0.2", "HostPort": "85"}]}}
    }
    assert published_base_url(local) == "http://127.0.0.2:85"
    assert published_base_url({"NetworkSettings": {"Ports": {"8080/tcp": None}}}) is None


def test_docker_discovery_failure_is_runner_not_configured(make_client, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # an engine that is not there
    client = make_client("execute", RUNNER_BACKEND="docker")
    response = client.get("/api/ext/sample/x", headers={"x-alga-tenant": "acme"})
    assert response.status_code == 500
    assert response.get_json()["error"] == "runner_not_configured"
    health = make_client("health", RUNNER_BACKEND="docker").get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["backend"] == {"kind": "docker", "base_url": None}


def _docker_ready() -> str | None:
    if shutil.which("docker") is None:
        return "docker CLI not installed"
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        return "Docker engine not reachable"
    return None


@pytest.mark.docker
def test_docker_discovery_finds_the_labelled_container() -> None:
    """A real container labelled like the Compose service, publishing 8080 on a random port."""
    reason = _docker_ready()
    if reason:
        pytest.skip(f"SKIP (docker): {reason}")
    image = _any_python_image()
    if image is None:
        pytest.skip("SKIP (docker): no local image with python3 (run `make images` first)")
    service = f"extgate-test-runner-{uuid.uuid4().hex[:8]}"
    name = subprocess.run(
        ["docker", "run", "-d", "--rm", "--label", f"com.docker.compose.service={service}",
         "--label", f"com.docker.compose.project={service}-project",
         "-p", "127.0.0.1::8080", "--entrypoint", "python3", image,
         "-m", "http.server", "8080"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip
    try:
        docker_env = {"RUNNER_BACKEND": "docker", "RUNNER_DOCKER_SERVICE": service}
        # Another Compose project's runner is not ours, even with the same service name.
        other = build_backend(load_settings(docker_env | {"RUNNER_DOCKER_PROJECT": "other"}))
        with pytest.raises(RunnerNotConfigured):
            other.execute(_probe_request())
        other.close()
        settings = load_settings(docker_env | {"RUNNER_DOCKER_PROJECT": f"{service}-project"})
        backend = build_backend(settings)
        base = backend.identity().base_url
        assert base is not None and base.startswith("http://127.0.0.1:")
        wait_until(
            lambda: requests.get(base, timeout=1) is not None,
            30,
            "http.server in the container",
            interval_s=0.2,
        )
        # python's http.server answers 404 for /healthz: reachable, but not healthy.
        assert backend.health().status_code == 404
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
    # The container is gone: the next call fails, the backend forgets the stale port,
    # and the one after that re-discovers (and finds nothing).
    assert backend.health().reachable is False
    assert backend.identity().base_url is None
    with pytest.raises(RunnerNotConfigured):
        backend.execute(_probe_request())
    backend.close()


def _probe_request():
    from functions.backends import ExecuteRequest

    return ExecuteRequest("r", "acme", "sample", HASH, "GET", "/")


def _any_python_image() -> str | None:
    listing = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True, text=True, timeout=30,
    ).stdout.split()  # fmt: skip
    preferred = ["extgate/functions:dev", "extgate/runner:dev", "extgate/python-base:3.11-bookworm"]
    for image in preferred:
        if image in listing:
            return image
    return None
