"""Pick the runner backend once per process from `RUNNER_BACKEND`."""

from __future__ import annotations

from collections.abc import Callable

from functions.backends.base import RunnerBackend
from functions.backends.docker import DockerRunnerBackend
from functions.backends.knative import KnativeRunnerBackend
from functions.config import Settings

BACKENDS: dict[str, Callable[[Settings], RunnerBackend]] = {
    "knative": KnativeRunnerBackend,
    "docker": DockerRunnerBackend,
}


def build_backend(settings: Settings) -> RunnerBackend:
    """`load_settings` already refused any `RUNNER_BACKEND` outside `BACKEND_KINDS`."""
    return BACKENDS[settings.runner_backend](settings)
