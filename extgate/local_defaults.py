"""Where local installs go when no flag says otherwise (``bundle install`` and ``dev``).

The same variables the emulator and ``docker-compose.runner-dev.yml`` read, so a
plain ``extgate bundle install`` or ``extgate dev`` writes the bundle store and
registry the running emulator reads and precompiles on the runner it publishes:

- ``EXTGATE_STATE_DIR`` (default ``.extgate``): ``bundles/`` and ``installs.json``;
- ``INSTALL_REGISTRY_FILE``: the registry file, overriding the state dir's;
- ``EXTGATE_RUNNER_URL``, else ``http://127.0.0.1:$RUNNER_DOCKER_PORT`` (port 8085).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = Path(".extgate")
DEFAULT_RUNNER_PORT = "8085"


@dataclass(frozen=True)
class LocalDefaults:
    store_dir: Path
    registry_file: Path
    runner_url: str


def local_defaults(env: Mapping[str, str] | None = None) -> LocalDefaults:
    env = os.environ if env is None else env
    state = Path(env.get("EXTGATE_STATE_DIR") or DEFAULT_STATE_DIR)
    port = env.get("RUNNER_DOCKER_PORT") or DEFAULT_RUNNER_PORT
    return LocalDefaults(
        store_dir=state / "bundles",
        registry_file=Path(env.get("INSTALL_REGISTRY_FILE") or state / "installs.json"),
        runner_url=env.get("EXTGATE_RUNNER_URL") or f"http://127.0.0.1:{port}",
    )
