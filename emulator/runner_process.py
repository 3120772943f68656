"""The runner as a local gunicorn process (`EMULATOR_RUNNER=process`).

For machines without a Docker engine: the same runner code, served by the same
gunicorn config as the image, bound to 127.0.0.1 on the port the container would
publish, with the bundle store and data under the state directory. Its output is
prefixed `[runner]`, and a watchdog starts it again if it exits. The process is
ours, so it is stopped when the emulator stops.

Gunicorn runs in its own session so its whole process group can be signalled: a
master that dies leaves workers behind that still hold the port, and stopping only
the master would not stop them. Spawning and closing share one lock, so the watchdog
cannot start a runner after the emulator has begun to stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from emulator import console
from emulator.config import EmulatorSettings
from emulator.errors import RunnerSupervisionError
from emulator.runner_container import read_recoveries, runner_healthy, write_recoveries


class ProcessRunnerSupervisor:
    mode = "process"

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self._proc: subprocess.Popen[str] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.recoveries = 0
        self.recoveries_file = settings.state_dir / f"watchdog-{settings.compose_project}.json"

    @property
    def pid_file(self):
        return self.settings.state_dir / f"runner-process-{self.settings.compose_project}.pid"

    def ensure_running(self) -> None:
        if runner_healthy(self.settings.runner_url):
            console.say("emulator", f"a runner already answers on {self.settings.runner_url}")
            return
        self._spawn()
        self.wait_healthy()

    def wait_healthy(self) -> None:
        def step(elapsed: float) -> str | None:
            if self._proc is not None and self._proc.poll() is not None:
                raise RunnerSupervisionError(
                    f"the runner process exited ({self._proc.returncode}); see the [runner] lines"
                )
            if runner_healthy(self.settings.runner_url):
                console.say("emulator", f"runner process is healthy ({elapsed:.1f}s)")
                return None
            return f"waiting for the runner process ({elapsed:.0f}s)"

        if not console.wait_until_ready(step, self.settings.runner_wait_s):
            raise RunnerSupervisionError(
                "the runner process did not become healthy; see the [runner] lines"
            )

    def start_background(self) -> None:
        write_recoveries(self.recoveries_file, 0)
        threading.Thread(target=self._watch, name="runner-watchdog", daemon=True).start()

    def describe(self) -> dict[str, Any]:
        pid = _read_pid(self.pid_file)
        alive = pid is not None and _alive(pid)
        return {
            "mode": self.mode,
            "published": f"127.0.0.1:{self.settings.runner_port}",
            "pid": pid,
            "status": "running" if alive else "missing",
            "watchdog_recoveries": read_recoveries(self.recoveries_file),
        }

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            proc = self._proc
        if proc is not None:
            _stop_process_group(proc)
        self.pid_file.unlink(missing_ok=True)

    def _spawn(self) -> bool:
        """Start gunicorn unless the emulator is stopping; True if it was started."""
        state = self.settings.state_dir
        (state / "bundles").mkdir(parents=True, exist_ok=True)
        (state / "runner-data").mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            PORT=str(self.settings.runner_port),
            BUNDLE_STORE_BASE=str(state / "bundles"),
            RUNNER_DATA_DIR=str(state / "runner-data"),
        )
        command = [
            sys.executable, "-m", "gunicorn", "-c", "python:runner.gunicorn_conf",
            "--bind", f"127.0.0.1:{self.settings.runner_port}", "runner.wsgi:app",
        ]  # fmt: skip
        with self._lock:
            if self._stop.is_set():
                return False
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                start_new_session=True,
            )  # fmt: skip
            self._proc = proc
            self.pid_file.write_text(str(proc.pid))  # under the lock: close() unlinks it
        threading.Thread(target=self._pump, args=(proc,), name="runner-output", daemon=True).start()
        console.say(
            "emulator", f"runner process started (pid {proc.pid}) on {self.settings.runner_url}"
        )
        return True

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            console.say("runner", line.rstrip())

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.watchdog_interval_s):
            with self._lock:
                proc = self._proc
            if proc is None or proc.poll() is None:
                continue
            console.say("watchdog", f"runner process exited ({proc.returncode}); starting it again")
            _signal_group(proc.pid, signal.SIGTERM)  # workers the dead master left behind
            try:
                if not self._spawn():
                    return
                self.recoveries += 1
                write_recoveries(self.recoveries_file, self.recoveries)
            except OSError as exc:
                console.say("watchdog", f"could not start the runner process: {exc.strerror}")


def _stop_process_group(proc: subprocess.Popen[str], grace_s: float = 10) -> None:
    """SIGTERM the runner's group (graceful), SIGKILL it if it is not gone in time."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        proc.poll()  # reap the master: a zombie would keep the group alive
        if not _group_alive(proc.pid):
            return
        time.sleep(0.05)
    _signal_group(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        console.say(
            "emulator", f"runner process {proc.pid} did not exit {grace_s:.0f}s after SIGKILL"
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def _read_pid(path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


class ExternalRunner:
    """`EMULATOR_RUNNER=external`: someone else runs the runner; only report on it."""

    mode = "external"

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings

    def ensure_running(self) -> None:
        if not runner_healthy(self.settings.runner_url):
            console.say(
                "emulator", f"warning: no healthy runner answers on {self.settings.runner_url} yet"
            )

    def start_background(self) -> None:
        """Nothing to supervise."""

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "published": f"127.0.0.1:{self.settings.runner_port}"}

    def close(self) -> None:
        """Nothing to stop."""
