"""The gateway against the real runner (runner/) executing the real sample component.

Slow: the first use of a bundle compiles its component (seconds). Needs the sample
bundle from `make sample` (build/bundles/sample.tar.zst); without it the test SKIPs
loudly instead of passing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
import requests
import zstandard

from tests.functions.conftest import install_record
from tests.support.loopback import (
    RUNNER_ENV_PREFIXES,
    RUNNER_GUNICORN,
    env_without,
    free_port,
    wait_until,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "build" / "bundles" / "sample.tar.zst"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_runner(tmp_path_factory):
    if not SAMPLE.exists():
        pytest.skip(f"SKIP (slow): {SAMPLE.relative_to(REPO)} missing; run `make sample` first")
    root = tmp_path_factory.mktemp("real-runner")
    archive = SAMPLE.read_bytes()  # one snapshot: `make sample` may rebuild it meanwhile
    digest = hashlib.sha256(archive).hexdigest()
    target = root / "store" / "sha256" / digest
    target.mkdir(parents=True)
    (target / "bundle.tar.zst").write_bytes(archive)
    port = free_port()
    env = env_without(*RUNNER_ENV_PREFIXES)
    env |= {
        "BUNDLE_STORE_BASE": str(root / "store"),
        "RUNNER_DATA_DIR": str(root / "data"),
        "PORT": str(port),
        "RUNNER_SERVICE_TOKEN": "real-token",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        RUNNER_GUNICORN,
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until(
                lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                60,
                "runner /healthz",
                interval_s=0.2,
                alive=lambda: process.poll() is None,
            )
        except (RuntimeError, TimeoutError):
            pytest.fail(f"runner did not start: {process.stderr.read()[-2000:]}")
        prepared = requests.post(
            f"{url}/v1/prepare", json={"content_hash": f"sha256:{digest}"},
            headers={"x-runner-service-token": "real-token"}, timeout=240,
        )  # fmt: skip
        assert prepared.status_code == 200, prepared.text
        yield url, f"sha256:{digest}", target / "bundle.tar.zst"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def real_client(make_client, registry_file, real_runner):
    url, content_hash, _ = real_runner
    record = install_record(content_hash=content_hash)
    registry_file.write_text(json.dumps({"installs": [record]}))

    def build(target: str, **env: str):
        settings = {"RUNNER_BASE_URL": url, "RUNNER_SERVICE_TOKEN": "real-token"} | env
        return make_client(target, **settings)

    return build


def test_execute_runs_the_sample_component(real_client) -> None:
    client = real_client("execute")
    hello = client.get("/api/ext/sample/hello", headers={"x-alga-tenant": "acme"})
    assert hello.status_code == 200, hello.data
    echo = client.post(
        "/api/ext/sample/echo?x=1",
        json={"a": 1},
        headers={"x-alga-tenant": "acme", "authorization": "Bearer nope"},
    )
    assert echo.status_code == 200
    assert json.loads(echo.get_json()["body"]) == {"a": 1}
    assert echo.get_json()["query"] == {"x": "1"}


def test_wrong_service_token_never_reaches_the_component(real_client) -> None:
    client = real_client("execute", RUNNER_SERVICE_TOKEN="not-the-token")
    response = client.get("/api/ext/sample/hello", headers={"x-alga-tenant": "acme"})
    assert (response.status_code, response.get_json()["error"]) == (502, "runner_auth_rejected")
    assert "real-token" not in response.get_data(as_text=True)


def test_ui_asset_through_the_proxy(real_client, real_runner) -> None:
    _, content_hash, archive = real_runner
    with zstandard.ZstdDecompressor().stream_reader(archive.open("rb")) as raw:
        names = [m.name for m in tarfile.open(fileobj=raw, mode="r|")]
    if "ui/index.html" not in names:
        pytest.skip("SKIP (slow): the built sample bundle carries no ui/index.html")
    client = real_client("ui_proxy")
    response = client.get(f"/runner/ext-ui/sample/{content_hash}/index.html")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    again = client.get(
        f"/runner/ext-ui/sample/{content_hash}/index.html",
        headers={"if-none-match": response.headers["etag"]},
    )
    assert again.status_code == 304


def test_health_reports_the_real_runner(real_client) -> None:
    body = real_client("health").get("/healthz").get_json()
    assert body["runner"]["reachable"] is True
