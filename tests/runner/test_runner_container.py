"""The runner image (extgate/runner:dev, built by `make images`) serves the sample's API and UI.

The bundle store is a read-only bind mount laid out as `extgate bundle install` writes
it; runner data is a throwaway named volume.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import requests

from tests.runner.conftest import SAMPLE_DIR, publish
from tests.runner.execute_calls import execute_body, inner_json, routing
from tests.support.loopback import wait_until

pytestmark = [pytest.mark.docker, pytest.mark.slow]
IMAGE = "extgate/runner:dev"
TOKEN = "container-token"


def docker_client():
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as exc:
        pytest.skip(f"SKIP: no Docker engine reachable ({type(exc).__name__}): {exc}")
    try:
        client.images.get(IMAGE)
    except Exception:
        pytest.skip(f"SKIP: image {IMAGE} not built; run `make images` first")
    return client


@pytest.fixture
def runner_container(sample_bundle):
    client = docker_client()
    store = Path(tempfile.mkdtemp(prefix="extgate-store-"))
    os.chmod(store, 0o755)
    publish(store, sample_bundle.path, sample_bundle.hex)
    for path in store.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    volume = client.volumes.create(f"extgate-test-data-{uuid.uuid4().hex[:8]}")
    container = client.containers.run(
        IMAGE,
        detach=True,
        environment={"RUNNER_SERVICE_TOKEN": TOKEN},
        ports={"8080/tcp": ("127.0.0.1", None)},
        volumes={str(store): {"bind": "/bundles", "mode": "ro"}, volume.name: {"bind": "/data"}},
    )
    try:
        container.reload()
        port = container.ports["8080/tcp"][0]["HostPort"]
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: requests.get(f"{base}/healthz", timeout=5).status_code == 200,
                90,
                "runner container /healthz",
                interval_s=0.5,
                alive=lambda: _still_up(container),
            )
        except RuntimeError:
            pytest.fail("runner container exited:\n" + container.logs().decode()[-2000:])
        except TimeoutError:
            pytest.fail("runner container never became healthy:\n" + container.logs().decode())
        yield base, container
    finally:
        container.remove(force=True)
        volume.remove(force=True)
        shutil.rmtree(store, ignore_errors=True)


def _still_up(container) -> bool:
    container.reload()
    return container.status in ("created", "running")


def test_container_serves_sample_api_and_ui(runner_container, sample_bundle):
    base, container = runner_container
    auth = {"x-runner-service-token": TOKEN}
    body = execute_body(sample_bundle.content_hash, "/hello", query={"name": "container"})
    resp = requests.post(f"{base}/v1/execute", json=body, headers=routing(**auth), timeout=300)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["status"] == 200, out
    assert inner_json(out)["message"].endswith("container!")

    counter = execute_body(sample_bundle.content_hash, "/counter", method="POST")
    values = [
        inner_json(
            requests.post(
                f"{base}/v1/execute", json=counter, headers=routing(**auth), timeout=60
            ).json()
        )["value"]
        for _ in range(2)
    ]
    assert values == [1, 2]

    ui = requests.get(
        f"{base}/ext-ui/sample/{sample_bundle.content_hash}/", headers=auth, timeout=30
    )
    assert ui.status_code == 200
    assert ui.content == (SAMPLE_DIR / "ui" / "index.html").read_bytes()
    assert "immutable" in ui.headers["Cache-Control"]
    assert "Content-Security-Policy" in ui.headers
    assert (
        requests.get(f"{base}/ext-ui/sample/{sample_bundle.content_hash}/", timeout=30).status_code
        == 401
    )

    logs = container.logs().decode()
    assert TOKEN not in logs
    assert '"path":"/v1/execute"' in logs
