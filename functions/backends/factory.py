"""Pick the runner backend once per process from `RUNNER_BACKEND`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from functions.backends.base import RunnerBackend
from functions.backends.docker import DockerRunnerBackend
from functions.backends.knative import KnativeRunnerBackend
from functions.config import ConfigError, Settings


def _docker_backend(settings: Settings) -> RunnerBackend:
    if not settings.runner_docker_host and importlib.util.find_spec("docker") is None:
        raise ConfigError(
            "RUNNER_DOCKER_HOST",
            "is required when RUNNER_BACKEND=docker and the docker SDK is not installed",
            "http://127.0.0.1:8085",
        )
    return DockerRunnerBackend(settings)


BACKENDS: dict[str, Callable[[Settings], RunnerBackend]] = {
    "knative": KnativeRunnerBackend,
    "docker": _docker_backend,
}


def build_backend(settings: Settings) -> RunnerBackend:
    try:
        make = BACKENDS[settings.runner_backend]
    except KeyError:
        raise ConfigError(
            "RUNNER_BACKEND", f"must be one of {', '.join(BACKENDS)}", "knative"
        ) from None
    return make(settings)
