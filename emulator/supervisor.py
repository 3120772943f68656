"""One seam for "how the runner is provided", chosen once from `EMULATOR_RUNNER`.

docker    Compose container, found by labels, health-waited, logs, watchdog
process   local gunicorn process on the same port (no Docker engine needed)
external  someone else runs it at RUNNER_DOCKER_HOST; only reported on
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from emulator.config import EmulatorSettings
from emulator.runner_container import DockerRunnerSupervisor
from emulator.runner_process import ExternalRunner, ProcessRunnerSupervisor


class RunnerSupervisor(Protocol):
    mode: str

    def ensure_running(self) -> None:
        """Start the runner if needed and return once it is healthy (or raise)."""

    def start_background(self) -> None:
        """Start log streaming and the watchdog (supervising process only)."""

    def describe(self) -> dict[str, Any]:
        """Current state for the status page; safe to call from any process."""

    def close(self) -> None:
        """Stop background work (and a runner process we own)."""


SUPERVISORS: dict[str, Callable[[EmulatorSettings], RunnerSupervisor]] = {
    "docker": DockerRunnerSupervisor,
    "process": ProcessRunnerSupervisor,
    "external": ExternalRunner,
}


def build_supervisor(settings: EmulatorSettings) -> RunnerSupervisor:
    return SUPERVISORS[settings.runner_mode](settings)
