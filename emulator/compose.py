"""Run `scripts/dev-runner.sh` (the one place that knows how to call Compose).

The shell script picks `docker compose` or `docker-compose`, the Compose file, the
project name and the environment; the emulator only calls it, so `make emulate`,
the watchdog and a developer typing the script by hand all do the same thing.
Compose's own output is echoed to the console with a `[compose]` prefix.
"""

from __future__ import annotations

import os
import subprocess

from emulator import console
from emulator.config import EmulatorSettings
from emulator.errors import RunnerSupervisionError

COMPOSE_TIMEOUT_S = 900  # a first `up` may build the runner image


def compose_env(settings: EmulatorSettings) -> dict[str, str]:
    """The environment the Compose file reads, derived from the emulator's settings."""
    env = dict(os.environ)
    env["COMPOSE_PROJECT_NAME"] = settings.compose_project
    env["RUNNER_DOCKER_PORT"] = str(settings.runner_port)
    env["EXTGATE_STATE_DIR"] = str(settings.state_dir)
    return env


def run_dev_runner(settings: EmulatorSettings, *args: str) -> None:
    """Run `scripts/dev-runner.sh ARGS`, echoing its output; raise if it fails."""
    script = settings.dev_runner_script
    if not script.is_file():
        raise RunnerSupervisionError(f"{script} is missing; run the emulator from the repository")
    try:
        proc = subprocess.Popen(
            ["bash", str(script), *args],
            env=compose_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    except OSError as exc:
        raise RunnerSupervisionError(f"could not run {script.name}: {exc.strerror}") from None
    assert proc.stdout is not None
    for line in proc.stdout:
        console.say("compose", line.rstrip())
    try:
        code = proc.wait(timeout=COMPOSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise RunnerSupervisionError(f"{script.name} {' '.join(args)} timed out") from None
    if code != 0:
        raise RunnerSupervisionError(
            f"{script.name} {' '.join(args)} failed (exit {code}); see the [compose] lines above"
        )
