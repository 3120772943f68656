"""The runner as a local Docker container (Compose service `extension-runner`).

The base URL is `RUNNER_DOCKER_HOST` when set. Otherwise the container is found
through the Docker API by its Compose label `com.docker.compose.service=<service>`
(and `com.docker.compose.project=<project>` when `RUNNER_DOCKER_PROJECT` is set, so
several Compose stacks on one engine do not get mixed up)
and addressed by the host port published for `8080/tcp`. Discovery is lazy (the
container may start after the gateway) and is redone after a connection failure,
because a recreated container usually gets a new host port. The Docker SDK is an
optional extra, imported only when discovery is actually used.
"""

from __future__ import annotations

import threading
from typing import Any

from functions.backends.http_backend import HttpRunnerBackend
from functions.config import Settings
from functions.errors import RunnerNotConfigured

COMPOSE_SERVICE_LABEL = "com.docker.compose.service"
COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
RUNNER_CONTAINER_PORT = "8080/tcp"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}  # noqa: S104 - published on all interfaces


class DockerRunnerBackend(HttpRunnerBackend):
    kind = "docker"

    def __init__(self, settings: Settings) -> None:
        self._fixed_base = settings.runner_docker_host
        self._labels = [f"{COMPOSE_SERVICE_LABEL}={settings.runner_docker_service}"]
        if settings.runner_docker_project:
            self._labels.append(f"{COMPOSE_PROJECT_LABEL}={settings.runner_docker_project}")
        self._discovered: str | None = None
        self._docker: Any = None
        self._lock = threading.Lock()
        super().__init__(settings)

    def _resolve_base_url(self) -> str:
        if self._fixed_base:
            return self._fixed_base
        with self._lock:
            if self._discovered is None:
                self._discovered = self._discover()
            return self._discovered

    def _forget_base_url(self) -> None:
        with self._lock:
            self._discovered = None

    def _discover(self) -> str:
        client = self._docker_client()
        try:
            containers = client.containers.list(
                filters={"label": self._labels, "status": "running"}
            )
        except Exception as exc:  # noqa: BLE001 - any Docker API failure means "not located"
            raise RunnerNotConfigured(detail=f"docker API: {type(exc).__name__}") from None
        for container in containers:
            base = published_base_url(container.attrs)
            if base:
                return base
        raise RunnerNotConfigured(
            detail=f"no running container labelled {' and '.join(self._labels)} "
            f"publishing {RUNNER_CONTAINER_PORT}"
        )

    def _docker_client(self) -> Any:
        if self._docker is None:
            try:
                import docker  # optional extra: extgate[docker]
            except ImportError:
                raise RunnerNotConfigured(detail="docker SDK not installed") from None
            try:
                self._docker = docker.from_env()
            except Exception as exc:  # noqa: BLE001 - DockerException and socket errors
                raise RunnerNotConfigured(detail=f"docker engine: {type(exc).__name__}") from None
        return self._docker

    def close(self) -> None:
        super().close()
        if self._docker is not None:
            self._docker.close()


def published_base_url(attrs: dict[str, Any]) -> str | None:
    """`http://host:port` for the container's published 8080/tcp, IPv4 preferred."""
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    bindings = ports.get(RUNNER_CONTAINER_PORT) or []
    bindings = sorted(bindings, key=lambda b: ":" in (b.get("HostIp") or ""))
    for binding in bindings:
        port = binding.get("HostPort")
        if port:
            host = binding.get("HostIp") or ""
            host = "127.0.0.1" if host in _WILDCARD_HOSTS else host
            host = f"[{host}]" if ":" in host else host
            return f"http://{host}:{port}"
    return None
