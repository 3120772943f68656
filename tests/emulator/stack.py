"""The whole local stack for tests: a real runner container under a unique Compose
project, the sample extension installed, and `python -m emulator` on a free port.

Nothing is shared with a developer's own stack: the project name, the runner's host
port, the emulator port and the state directory (registry + bundle store) are all
fresh, and everything, volumes included, is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support import loopback
from tests.support.loopback import env_without, free_port

REPO = Path(__file__).resolve().parents[2]
SAMPLE_SRC = REPO / "examples" / "sample-extension"
SAMPLE_BUNDLE = REPO / "build" / "bundles" / "sample.tar.zst"
RUNNER_IMAGE = "extgate/runner:dev"
FUNCTIONS_IMAGE = "extgate/functions:dev"
GATEWAY_TIMEOUT_MS = 8000


def loud_skip(reason: str) -> None:
    print(f"\n*** SKIP (emulator stack): {reason} ***", file=sys.stderr)
    pytest.skip(reason)


def docker_client():
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        loud_skip(f"no Docker engine reachable ({type(exc).__name__}); these tests need one")
    return client


def require_image(client, name: str) -> None:
    import docker.errors

    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        loud_skip(f"image {name} is missing; build it with `make images`")


def sample_bundle() -> Path:
    """The sample bundle `make sample` builds; built here (slow, ~1 min) when absent."""
    if SAMPLE_BUNDLE.is_file():
        return SAMPLE_BUNDLE
    out = Path(tempfile.mkdtemp(prefix="emu-sample-")) / "sample.tar.zst"
    extgate = str(REPO / ".venv" / "bin" / "extgate")
    build = [extgate, "bundle", "build", str(SAMPLE_SRC), "-o", str(out)]
    subprocess.run(build, cwd=REPO, check=True, timeout=900)
    return out


@dataclass
class Stack:
    project: str
    state_dir: Path
    runner_port: int
    emulator_port: int
    env: dict[str, str]
    log_path: Path
    content_hash: str
    process: subprocess.Popen | None = None
    client: object = None
    gateway_ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def runner_url(self) -> str:
        return f"http://127.0.0.1:{self.runner_port}"

    def container(self):
        found = self.client.containers.list(
            all=True,
            filters={"label": [f"com.docker.compose.project={self.project}",
                               "com.docker.compose.service=extension-runner"]},
        )  # fmt: skip
        return found[0] if found else None

    def dev_runner(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(REPO / "scripts" / "dev-runner.sh"), *args],
            env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no emulator log)"


def wait_until(check, timeout: float, what: str, stack: Stack | None = None):
    """`loopback.wait_until` every 0.5 s; on time-out, fail with the emulator's log tail."""
    try:
        return loopback.wait_until(check, timeout, what, interval_s=0.5)
    except TimeoutError:
        tail = f"\nemulator log:\n{stack.log_tail()}" if stack else ""
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{tail}") from None


def start_stack(tmp_root: Path) -> Stack:
    client = docker_client()
    require_image(client, RUNNER_IMAGE)
    bundle = sample_bundle()
    state = Path(tempfile.mkdtemp(prefix="emu-state-", dir=tmp_root))
    os.chmod(state, 0o755)  # the containers run as uid 10001 and mount it
    (state / "bundles").mkdir(mode=0o755)
    project = f"extgate-test-{uuid.uuid4().hex[:8]}"
    runner_port, emulator_port = free_port(), free_port()
    env = env_without("EMULATOR_", "RUNNER_")
    env.update(
        COMPOSE_PROJECT_NAME=project,
        RUNNER_DOCKER_PORT=str(runner_port),
        EXTGATE_STATE_DIR=str(state),
        INSTALL_REGISTRY_FILE=str(state / "installs.json"),
        EMULATOR_PORT=str(emulator_port),
        EMULATOR_RELOAD="0",
        EMULATOR_WATCHDOG_INTERVAL_S="1",
        RUNNER_BACKEND="docker",
        EXT_DEV_TENANT="dev",
        EXT_GATEWAY_TIMEOUT_MS=str(GATEWAY_TIMEOUT_MS),
    )
    installed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "extgate"), "bundle", "install", str(bundle),
         "--tenant", "dev", "--extension", "sample", "--store", str(state / "bundles"),
         "--registry", str(state / "installs.json"), "--no-prepare"],
        env=env, cwd=REPO, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    content_hash = json.loads((state / "installs.json").read_text())["installs"][0]["content_hash"]
    assert content_hash in installed.stdout
    log_path = state / "emulator.log"
    stack = Stack(project, state, runner_port, emulator_port, env, log_path, content_hash)
    stack.client = client
    with log_path.open("w") as log:
        stack.process = subprocess.Popen(
            [sys.executable, "-m", "emulator"], env=env, cwd=REPO,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200,
            300, "the emulator's /healthz to answer 200", stack,
        )  # fmt: skip
        prepared = requests.post(
            f"{stack.runner_url}/v1/prepare", json={"content_hash": content_hash}, timeout=300
        )
        assert prepared.status_code == 200, prepared.text
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: Stack) -> None:
    if stack.process is not None and stack.process.poll() is None:
        stack.process.terminate()
        try:
            stack.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    stack.dev_runner("clean", timeout=300)
    print(f"\nemulator log kept at {stack.log_path}", file=sys.stderr)
