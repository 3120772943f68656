"""Shared helpers for the image tests: run docker/make, inspect images, run containers."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER_IMAGE = "extgate/runner:dev"
FUNCTIONS_IMAGE = "extgate/functions:dev"
LOCAL_BASE_IMAGE = "extgate/python-base:3.11-bookworm"
DOCKERFILES = {
    "runner": REPO / "runner" / "Dockerfile",
    "functions": REPO / "functions" / "Dockerfile",
}
APP_UID = "10001"


def sh(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a command from the repo root and capture its text output."""
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def inspect(image: str) -> dict:
    """`docker image inspect` of one image, parsed."""
    return json.loads(sh("docker", "image", "inspect", image).stdout)[0]


@pytest.fixture(scope="module")
def docker_engine() -> None:
    try:
        ok = sh("docker", "info", check=False, timeout=20).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        pytest.skip(
            "SKIP (LOUD): no Docker engine answers `docker info`; the image tests did NOT run"
        )


@pytest.fixture(scope="module")
def built_images(docker_engine: None) -> str:
    """`make images`: builds what is missing, skips what is up to date."""
    return sh("make", "--no-print-directory", "images", timeout=1400).stdout


@pytest.fixture
def container() -> Iterator[Callable[..., tuple[str, str]]]:
    """Start detached containers on loopback ports; always removed afterwards."""
    names: list[str] = []

    def start(
        image: str, *args: str, env: dict[str, str] | None = None, port: int = 8080
    ) -> tuple[str, str]:
        name = f"extgate-imgtest-{uuid.uuid4().hex[:8]}"
        env_args = [a for k, v in (env or {}).items() for a in ("-e", f"{k}={v}")]
        sh(
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--health-interval=1s",
            "-p",
            f"127.0.0.1::{port}",
            *env_args,
            *args,
            image,
        )
        names.append(name)
        host_port = sh("docker", "port", name, f"{port}/tcp").stdout.split()[0].rsplit(":", 1)[1]
        return name, f"http://127.0.0.1:{host_port}"

    yield start
    for name in names:
        sh("docker", "rm", "-f", name, check=False)


def wait_healthy(name: str, limit_s: float = 90) -> None:
    """Poll Docker's own HEALTHCHECK verdict (bounded)."""
    deadline = time.monotonic() + limit_s
    status = "?"
    while time.monotonic() < deadline:
        status = sh("docker", "inspect", "-f", "{{.State.Health.Status}}", name).stdout.strip()
        if status == "healthy":
            return
        time.sleep(0.5)
    logs = sh("docker", "logs", "--tail", "30", name, check=False)
    pytest.fail(f"{name} is {status!r} after {limit_s}s:\n{logs.stdout}{logs.stderr}")
