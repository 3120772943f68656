"""Supervise the runner container through the Docker SDK.

The container belongs to Compose (`docker-compose.runner-dev.yml`): the emulator
finds it by the labels Compose puts on it (project + service), so several stacks
(a developer's and a test's) can run side by side. It brings the stack up when the
container is missing, waits for the healthcheck with visible progress, streams the
container's log into the console with a `[runner]` prefix, and a watchdog starts
the container again if it stops or dies, or runs Compose again if it was removed.

Only the supervising process (the reloader's parent) starts the background
threads; `describe()` is a read-only inspection any process may call.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from emulator import console
from emulator.compose import run_dev_runner
from emulator.config import EmulatorSettings
from emulator.errors import DockerUnavailableError, EmulatorError, RunnerSupervisionError
from functions.backends.docker import COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL

_BACK_UP_STATES = ("exited", "dead", "created")


def docker_client() -> Any:
    """A Docker SDK client, or `DockerUnavailableError` with a one-line reason."""
    try:
        import docker
    except ImportError:
        raise DockerUnavailableError(
            "the docker SDK is not installed (pip install 'extgate[docker]')"
        ) from None
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - DockerException, socket and HTTP errors alike
        raise DockerUnavailableError(
            f"no Docker engine is reachable ({type(exc).__name__})"
        ) from None
    return client


class DockerRunnerSupervisor:
    """The runner as a Compose-managed container."""

    mode = "docker"

    def __init__(self, settings: EmulatorSettings, client: Any | None = None) -> None:
        self.settings = settings
        self._client = client
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.recoveries = 0
        self._down_seen: tuple[str, str] | None = None
        self.recoveries_file = settings.state_dir / f"watchdog-{settings.compose_project}.json"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = docker_client()
        return self._client

    def find_container(self) -> Any | None:
        """The service's container; while Compose replaces it, the live one is preferred."""
        found = self._containers()
        return found[0] if found else None

    def _containers(self) -> list[Any]:
        """The service's containers, fully inspected; Docker's failures become
        `RunnerSupervisionError` naming only the exception type (no engine URLs)."""
        client = self.client
        labels = [
            f"{COMPOSE_PROJECT_LABEL}={self.settings.compose_project}",
            f"{COMPOSE_SERVICE_LABEL}={self.settings.runner_service}",
        ]
        with _docker_api():
            # ignore_removed: Compose may remove a container between listing and inspecting.
            found = client.containers.list(all=True, filters={"label": labels}, ignore_removed=True)
        live = ("running", "restarting", "created")
        return sorted(found, key=lambda c: (c.status not in live, c.attrs.get("Created", "")))

    def ensure_running(self) -> None:
        """Compose up when needed, then wait until the healthcheck passes."""
        container = self.find_container()
        if container is None or container.status != "running":
            console.say("emulator", f"starting the runner ({self.settings.compose_project})")
            run_dev_runner(self.settings, "up")
        self.wait_healthy()

    def wait_healthy(self) -> None:
        def step(elapsed: float) -> str | None:
            container = self.find_container()
            status, health = _state(container)
            if status == "running" and (
                health in ("healthy", None) or runner_healthy(self.settings.runner_url)
            ):
                console.say(
                    "emulator", f"runner container {container.name} is healthy ({elapsed:.1f}s)"
                )
                return None
            return f"waiting for the runner container: {status}/{health or '-'} ({elapsed:.0f}s)"

        if not console.wait_until_ready(step, self.settings.runner_wait_s):
            raise RunnerSupervisionError(
                f"the runner container was not healthy after {self.settings.runner_wait_s:.0f}s; "
                "see the [runner] log (scripts/dev-runner.sh logs)"
            )

    def start_background(self) -> None:
        write_recoveries(self.recoveries_file, 0)
        for name, target in (("runner-logs", self._stream_logs), ("runner-watchdog", self._watch)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "mode": self.mode,
            "compose_project": self.settings.compose_project,
            "service": self.settings.runner_service,
            "published": f"127.0.0.1:{self.settings.runner_port}",
            "watchdog_recoveries": read_recoveries(self.recoveries_file),
        }
        try:
            container = self.find_container()
        except RunnerSupervisionError as exc:  # shown, not raised
            return {**info, "status": "unknown", "detail": str(exc)}
        if container is None:
            return {**info, "status": "missing"}
        status, health = _state(container)
        state = container.attrs.get("State") or {}
        return {
            **info,
            "container": container.name,
            "id": container.short_id,
            "image": (container.attrs.get("Config") or {}).get("Image"),
            "status": status,
            "health": health,
            "started_at": state.get("StartedAt"),
            "restart_count": container.attrs.get("RestartCount", 0),
        }

    def close(self) -> None:
        self._stop.set()

    def _count_recovery(self) -> None:
        self.recoveries += 1
        write_recoveries(self.recoveries_file, self.recoveries)

    def _stream_logs(self) -> None:
        """Follow the container's log; reattach after restarts and recreations."""
        since = time.time()
        while not self._stop.is_set():
            try:
                container = self.find_container()
                if container is None or container.status != "running":
                    self._stop.wait(1.0)
                    continue
                buffer = b""
                for chunk in container.logs(stream=True, follow=True, since=since):
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if not is_probe_noise(line):
                            console.say("runner", line.decode("utf-8", "replace"))
                    since = time.time()
                    if self._stop.is_set():
                        return
            except Exception as exc:  # noqa: BLE001 - the stream ends when the container does
                console.say("emulator", f"runner log stream interrupted ({type(exc).__name__})")
            self._stop.wait(1.0)

    def _watch(self) -> None:
        backoff = self.settings.watchdog_interval_s
        while not self._stop.wait(self.settings.watchdog_interval_s):
            try:
                self._bring_back_if_down()
                backoff = self.settings.watchdog_interval_s
            except Exception as exc:  # noqa: BLE001 - keep watching whatever happened
                # Our own errors are written to be shown; anything else may carry engine URLs.
                reason = str(exc) if isinstance(exc, EmulatorError) else type(exc).__name__
                console.say("watchdog", f"could not bring the runner back: {reason}")
                backoff = min(backoff * 2, 60.0)
                self._stop.wait(backoff)

    def _bring_back_if_down(self) -> None:
        """Act only on a state seen twice in a row: Compose itself stops, renames and
        replaces the container when its image or config changes, and must not be raced."""
        containers = self._containers()
        if any(c.status in ("running", "restarting") for c in containers):
            self._down_seen = None
            return
        container = containers[0] if containers else None
        seen = (container.id, container.status) if container is not None else ("missing", "")
        if seen != self._down_seen:
            self._down_seen = seen
            return
        self._down_seen = None
        if container is None:
            console.say("watchdog", "runner container is gone; running Compose up")
            run_dev_runner(self.settings, "up")
        elif container.status == "paused":
            console.say("watchdog", f"runner container {container.name} is paused; unpausing it")
            with _docker_api():
                container.unpause()
        elif container.status in _BACK_UP_STATES:
            console.say(
                "watchdog", f"runner container {container.name} is {container.status}; starting it"
            )
            with _docker_api():
                container.start()
        else:
            return
        self._count_recovery()


@contextmanager
def _docker_api() -> Iterator[None]:
    """Turn the SDK's failures into `RunnerSupervisionError` naming only the exception
    type: an `APIError`'s text can include the engine's internal URL."""
    import docker.errors

    try:
        yield
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise RunnerSupervisionError(f"docker API: {type(exc).__name__}") from None


def runner_healthy(base_url: str) -> bool:
    """The runner's own /healthz answers 200 (before Docker's next probe has run)."""
    try:
        return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def is_probe_noise(line: bytes) -> bool:
    """A successful health probe's access line (every few seconds); `docker logs` keeps it."""
    if b"/healthz" not in line:
        return False
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return (
        isinstance(entry, dict) and entry.get("path") == "/healthz" and entry.get("status") == 200
    )


def write_recoveries(path: Path, count: int) -> None:
    """The supervising parent's watchdog count, readable by the serving child."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"recoveries": count, "at": time.time()}))
    except OSError:
        pass


def read_recoveries(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text())["recoveries"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _state(container: Any | None) -> tuple[str, str | None]:
    if container is None:
        return "missing", None
    state = container.attrs.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    return state.get("Status", container.status), health
