"""Emulator settings, read once from the environment into a frozen object.

The emulator has its own small surface (port, how the runner is provided, the
Compose project); everything about the gateway itself stays in
`functions.config` and is read by the mounted targets exactly as in production.
A bad value stops start-up with one line naming the variable and an example.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from emulator.errors import EmulatorConfigError
from functions.config import EnvReader

RUNNER_MODES = ("docker", "process", "external")
COMPOSE_FILE_NAME = "docker-compose.runner-dev.yml"


@dataclass(frozen=True)
class EmulatorSettings:
    """Everything the emulator process needs, validated. Times are seconds."""

    host: str = "127.0.0.1"
    port: int = 3000
    app_upstream: str | None = None
    runner_mode: str = "docker"
    runner_port: int = 8085
    runner_docker_host: str | None = None
    runner_service: str = "extension-runner"
    compose_project: str = "extgate-dev"
    project_root: Path = Path(".")
    state_dir: Path = Path(".extgate")
    runner_wait_s: float = 180.0
    watchdog_interval_s: float = 2.0
    reload: bool = True
    history_size: int = 200

    @property
    def dev_runner_script(self) -> Path:
        return self.project_root / "scripts" / "dev-runner.sh"

    @property
    def runner_url(self) -> str:
        """Where the runner answers from the host: RUNNER_DOCKER_HOST or the published port."""
        return self.runner_docker_host or f"http://127.0.0.1:{self.runner_port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / f"emulator-{self.compose_project}.pid"


def load_emulator_settings(environ: Mapping[str, str] | None = None) -> EmulatorSettings:
    """Read and validate the emulator's variables (default `os.environ`)."""
    env = EnvReader(os.environ if environ is None else environ, error=EmulatorConfigError)
    root = find_project_root(Path(env.text("EXTGATE_PROJECT_ROOT", os.getcwd())))
    state_dir = Path(env.text("EXTGATE_STATE_DIR", str(root / ".extgate")))
    return EmulatorSettings(
        host=env.text("EMULATOR_HOST", "127.0.0.1"),
        port=_port(env, "EMULATOR_PORT", 3000),
        app_upstream=_upstream(env),
        runner_mode=env.choice("EMULATOR_RUNNER", "docker", RUNNER_MODES),
        runner_port=_port(env, "RUNNER_DOCKER_PORT", 8085),
        runner_docker_host=(env.optional("RUNNER_DOCKER_HOST") or "").rstrip("/") or None,
        runner_service=env.text("RUNNER_DOCKER_SERVICE", "extension-runner"),
        compose_project=env.text("COMPOSE_PROJECT_NAME", "extgate-dev"),
        project_root=root,
        state_dir=state_dir if state_dir.is_absolute() else root / state_dir,
        runner_wait_s=float(env.integer("EMULATOR_RUNNER_WAIT_S", 180, "180")),
        watchdog_interval_s=float(env.integer("EMULATOR_WATCHDOG_INTERVAL_S", 2, "2")),
        reload=_flag(env, "EMULATOR_RELOAD", True),
        history_size=env.integer("EMULATOR_HISTORY_SIZE", 200, "200"),
    )


def find_project_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding the Compose file."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / COMPOSE_FILE_NAME).is_file():
            return candidate
    return start


def _port(env: EnvReader, name: str, default: int) -> int:
    value = env.integer(name, default, str(default))
    if value > 65535:
        raise EmulatorConfigError(name, f"must be a TCP port (got {value})", str(default))
    return value


def _flag(env: EnvReader, name: str, default: bool) -> bool:
    raw = (env.optional(name) or "").lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise EmulatorConfigError(name, f"must be 1 or 0 (got {raw!r})", "1")


def _upstream(env: EnvReader) -> str | None:
    raw = env.optional("EMULATOR_APP_UPSTREAM")
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EmulatorConfigError(
            "EMULATOR_APP_UPSTREAM", "must be an absolute http(s) URL", "http://127.0.0.1:5173"
        )
    return raw.rstrip("/")
