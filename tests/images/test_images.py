"""The container images, for real: built from the wheelhouse, non-root, lean, serving.

`built_images` runs `make images` once (a no-op when `make test` already built them).
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.images.docker_cli import (
    APP_UID,
    FUNCTIONS_IMAGE,
    REPO,
    RUNNER_IMAGE,
    inspect,
    sh,
    wait_healthy,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]


@pytest.mark.parametrize("image", [RUNNER_IMAGE, FUNCTIONS_IMAGE])
@pytest.mark.usefixtures("built_images")
def test_image_is_built_from_the_current_wheelhouse(image: str) -> None:
    labels = inspect(image)["Config"]["Labels"]
    wheelhouse = (REPO / "build" / "wheelhouse" / ".content-hash").read_text().strip()
    assert labels["org.extgate.wheelhouse"] == wheelhouse


def test_second_make_images_is_a_noop(built_images: str) -> None:
    before = {img: inspect(img)["Id"] for img in (RUNNER_IMAGE, FUNCTIONS_IMAGE)}
    again = sh("make", "--no-print-directory", "images").stdout
    assert re.search(r"wheelhouse .*\] skip: ", again), again
    assert re.search(r"image runner .*\] skip: extgate/runner:dev is up to date", again), again
    assert re.search(r"image functions .*\] skip: extgate/functions:dev", again), again
    assert "docker build" not in again
    assert {img: inspect(img)["Id"] for img in before} == before


@pytest.mark.parametrize("image", [RUNNER_IMAGE, FUNCTIONS_IMAGE])
@pytest.mark.usefixtures("built_images")
def test_image_runs_as_non_root_and_cannot_change_its_code(image: str) -> None:
    assert inspect(image)["Config"]["User"] == f"{APP_UID}:{APP_UID}"
    probe = "id -u; id -g; touch /opt/venv/x 2>/dev/null && echo writable || echo read-only"
    out = sh("docker", "run", "--rm", image, "sh", "-c", probe).stdout.split()
    assert out == [APP_UID, APP_UID, "read-only"]


@pytest.mark.parametrize("image", [RUNNER_IMAGE, FUNCTIONS_IMAGE])
@pytest.mark.usefixtures("built_images")
def test_image_ships_no_wheelhouse_and_no_pip(image: str) -> None:
    out = sh(
        "docker",
        "run",
        "--rm",
        image,
        "sh",
        "-c",
        "ls /wheelhouse 2>&1; python -m pip --version 2>&1; echo end",
        check=False,
    )
    assert "No such file or directory" in out.stdout
    assert "No module named pip" in out.stdout


@pytest.mark.usefixtures("built_images")
def test_function_image_lacks_docker_sdk_and_wasmtime() -> None:
    # Positive control first: the image's Python and the gateway's own imports work.
    sh(
        "docker",
        "run",
        "--rm",
        FUNCTIONS_IMAGE,
        "python",
        "-c",
        "import functions.config, functions_framework, gunicorn, cloudevents",
    )
    for module in ("docker", "wasmtime"):
        done = sh(
            "docker",
            "run",
            "--rm",
            FUNCTIONS_IMAGE,
            "python",
            "-c",
            f"import {module}",
            check=False,
        )
        assert done.returncode == 1
        assert f"No module named '{module}'" in done.stderr


@pytest.mark.usefixtures("built_images")
def test_runner_image_has_engine_volumes_and_writable_data_dir() -> None:
    config = inspect(RUNNER_IMAGE)["Config"]
    assert set(config["Volumes"]) == {"/data", "/bundles"}
    assert {"RUNNER_DATA_DIR=/data", "BUNDLE_STORE_BASE=/bundles", "PORT=8080"} <= set(
        config["Env"]
    )
    assert "8080/tcp" in config["ExposedPorts"]
    out = sh(
        "docker",
        "run",
        "--rm",
        RUNNER_IMAGE,
        "sh",
        "-c",
        "python -c 'import runner, wasmtime, zstandard' && touch /data/probe && echo ok",
    )
    assert out.stdout.strip() == "ok"


@pytest.mark.usefixtures("built_images")
def test_runner_container_becomes_healthy_and_serves_healthz(container) -> None:
    name, base = container(RUNNER_IMAGE)
    wait_healthy(name)
    reply = requests.get(f"{base}/healthz", timeout=5)
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"


@pytest.mark.usefixtures("built_images")
def test_function_container_honours_port_and_answers_livez(container) -> None:
    # Knative injects PORT; the server and the HEALTHCHECK must both follow it.
    env = {"PORT": "9090", "RUNNER_BASE_URL": "http://extension-runner.invalid"}
    name, base = container(FUNCTIONS_IMAGE, env=env, port=9090)
    wait_healthy(name)
    reply = requests.get(f"{base}/livez", timeout=5)
    assert reply.status_code == 200
    assert reply.json()["target"] == "execute"


# The pod securityContext in knative/base/*.yaml, plus a read-only root file system.
LOCKED_DOWN = (
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
)


@pytest.mark.parametrize(
    ("image", "probe", "env"),
    [
        (RUNNER_IMAGE, "/healthz", {}),
        (FUNCTIONS_IMAGE, "/livez", {"RUNNER_BASE_URL": "http://extension-runner.invalid"}),
    ],
)
@pytest.mark.usefixtures("built_images")
def test_container_serves_locked_down(container, image: str, probe: str, env: dict) -> None:
    name, base = container(image, *LOCKED_DOWN, env=env)
    wait_healthy(name)
    assert requests.get(f"{base}{probe}", timeout=5).status_code == 200
