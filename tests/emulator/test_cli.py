"""`python -m emulator` as a developer runs it: real processes, real ports.

Start-up failures must be one line and a clear exit status, never a traceback;
the reloader must replace the serving process on an edit and leave the runner be.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.loopback import env_without, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


def emulator_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = env_without("EMULATOR_", "RUNNER_")
    env.update(EXTGATE_STATE_DIR=str(tmp_path / "state"), COMPOSE_PROJECT_NAME="emu-cli-test")
    env.update(extra)
    return env


def run_emulator(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_port_taken_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_emulator(emulator_env(tmp_path, EMULATOR_PORT=str(port)), "--no-reload")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} is already in use" in lines[0]
    assert f"EMULATOR_PORT={port + 1}" in lines[0]


def test_no_docker_engine_offers_the_process_fallback(tmp_path):
    env = emulator_env(
        tmp_path, EMULATOR_PORT=str(free_port()), DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock"
    )
    result = run_emulator(env, "--no-reload")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Docker engine is reachable" in lines[0]
    assert "EMULATOR_RUNNER=process" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_setting_names_the_variable(tmp_path):
    result = run_emulator(emulator_env(tmp_path, EMULATOR_PORT="three-thousand"), "--no-reload")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "emulator: config error: EMULATOR_PORT must be an integer (got 'three-thousand'); "
        "example: EMULATOR_PORT=3000"
    )


def test_bad_gateway_setting_stops_the_server_with_one_line(tmp_path, runner_standin):
    env = emulator_env(
        tmp_path, EMULATOR_PORT=str(free_port()), RUNNER_DOCKER_HOST=runner_standin.url,
        EXT_GATEWAY_TIMEOUT_MS="soon",
    )  # fmt: skip
    result = run_emulator(env, "--no-reload", "--runner", "external")
    assert result.returncode == 2
    assert "EXT_GATEWAY_TIMEOUT_MS" in result.stderr and "Traceback" not in result.stderr


def test_help_lists_the_flags():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in ("--port", "--runner", "--no-reload", "--app-upstream"):
        assert flag in result.stdout


def _status(url: str) -> dict | None:
    try:
        return requests.get(f"{url}/_emulator/status.json", timeout=2).json()
    except (requests.RequestException, ValueError):
        return None


def _serving_pid(url: str) -> int | None:
    status = _status(url)
    return status["emulator"]["pid"] if status else None


def _healthy(url: str) -> bool:
    return requests.get(f"{url}/healthz", timeout=5).status_code == 200


def test_an_edit_restarts_the_server_but_not_the_runner(tmp_path, runner_standin):
    """The reloader's child is replaced after an edit under functions/; the parent stays."""
    project = tmp_path / "project"
    (project / "functions").mkdir(parents=True)
    (project / "emulator").mkdir()
    (project / "docker-compose.runner-dev.yml").write_text("services: {}\n")
    watched = project / "functions" / "handler.py"
    watched.write_text("VALUE = 1\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = emulator_env(
        tmp_path, EMULATOR_PORT=str(port), RUNNER_DOCKER_HOST=runner_standin.url,
        EXTGATE_PROJECT_ROOT=str(project), EMULATOR_RUNNER="external",
    )  # fmt: skip
    parent = subprocess.Popen(
        [sys.executable, "-m", "emulator"], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        first = wait_until(lambda: _status(url), 30, "the first server")["emulator"]["pid"]
        assert first != parent.pid
        time.sleep(1.1)  # a new mtime on filesystems with coarse timestamps
        watched.write_text("VALUE = 2\n")
        second = wait_until(
            lambda: _serving_pid(url) not in (None, first) and _serving_pid(url),
            30,
            "a new server after the edit",
        )
        assert second not in (first, parent.pid)
        assert parent.poll() is None
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    finally:
        parent.send_signal(signal.SIGTERM)
        out, _ = parent.communicate(timeout=30)
    assert "functions/handler.py changed; restarting" in out
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/livez", timeout=2)  # the child went with its parent


def test_process_runner_fallback_serves_and_is_brought_back(tmp_path):
    """EMULATOR_RUNNER=process: the real runner as a local gunicorn process, no Docker;
    killing it is noticed by the watchdog, which starts it again."""
    port, runner_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    env = emulator_env(
        tmp_path, EMULATOR_PORT=str(port), RUNNER_DOCKER_PORT=str(runner_port),
        EMULATOR_RUNNER="process", EMULATOR_RELOAD="0", EMULATOR_WATCHDOG_INTERVAL_S="1",
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",
    )  # fmt: skip
    parent = subprocess.Popen(
        [sys.executable, "-m", "emulator"], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: _healthy(url), 90, "/healthz")
        health = requests.get(f"{url}/healthz", timeout=5).json()
        assert health["backend"] == {
            "kind": "docker",
            "base_url": f"http://127.0.0.1:{runner_port}",
        }
        runner = _status(url)["runner"]
        assert runner["mode"] == "process" and runner["status"] == "running"
        first_pid = runner["pid"]
        os.kill(first_pid, signal.SIGKILL)
        wait_until(
            lambda: (_status(url) or {}).get("runner", {}).get("pid") not in (None, first_pid),
            30,
            "a new runner process",
        )
        wait_until(lambda: _healthy(url), 90, "/healthz")
        assert _status(url)["runner"]["watchdog_recoveries"] >= 1
    finally:
        parent.send_signal(signal.SIGTERM)
        out, _ = parent.communicate(timeout=30)
    assert "runner process exited" in out and "starting it again" in out
    assert "Traceback" not in out
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{runner_port}/healthz", timeout=2)  # ours, so stopped


def test_signals_during_cleanup_do_not_cut_it_short(tmp_path):
    """Ctrl-C pressed again (or SIGTERM sent again) while the emulator stops must not
    leave the runner process group on its port or print a traceback."""
    port, runner_port = free_port(), free_port()
    state = tmp_path / "state"
    env = emulator_env(
        tmp_path, EMULATOR_PORT=str(port), RUNNER_DOCKER_PORT=str(runner_port),
        EMULATOR_RUNNER="process", EMULATOR_RELOAD="0",
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",
    )  # fmt: skip
    parent = subprocess.Popen(
        [sys.executable, "-m", "emulator"], env=env, cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    runner_pid = None
    try:
        wait_until(lambda: _healthy(f"http://127.0.0.1:{port}"), 90, "/healthz")
        runner_pid = _status(f"http://127.0.0.1:{port}")["runner"]["pid"]
        deadline = time.monotonic() + 30
        while parent.poll() is None and time.monotonic() < deadline:
            parent.send_signal(signal.SIGTERM)  # the first stops it, the rest hit the clean-up
            time.sleep(0.02)
        out, _ = parent.communicate(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate()
        if runner_pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(runner_pid, signal.SIGKILL)  # what a cut-short clean-up leaves
    assert "Traceback" not in out, out
    assert parent.returncode == 0
    assert not (state / "runner-process-emu-cli-test.pid").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{runner_port}/healthz", timeout=2)
