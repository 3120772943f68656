"""Fixtures for emulator tests that need no Docker: the real emulator app on a
loopback port, in front of the loopback runner stand-in (tests/support)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from emulator.app import create_app
from emulator.config import EmulatorSettings
from emulator.history import RequestHistory
from emulator.routes import route_table
from emulator.runner_process import ExternalRunner
from emulator.status import EmulatorContext
from emulator.targets import Targets, load_targets
from functions.gateway import get_gateway, reset_gateway
from tests.support.runner_standin import RunnerStandIn, runner_standin  # noqa: F401 - a fixture

CONTENT_HASH = "sha256:" + "cd" * 32
GATEWAY_ENV = (
    "RUNNER_BACKEND", "RUNNER_BASE_URL", "RUNNER_DOCKER_HOST", "RUNNER_PUBLIC_BASE",
    "RUNNER_SERVICE_TOKEN", "EXT_GATEWAY_TIMEOUT_MS", "INSTALL_REGISTRY_FILE",
    "REGISTRY_BASE_URL", "EXT_DEV_TENANT", "EMULATOR_APP_UPSTREAM",
)  # fmt: skip


def install_record(tenant: str = "dev", extension: str = "sample") -> dict:
    return {
        "tenant_id": tenant,
        "extension_id": extension,
        "install_id": f"inst_{extension}",
        "version_id": "1.0.0",
        "content_hash": CONTENT_HASH,
        "config": {},
        "providers": ["cap:storage.kv"],
        "allowed_hosts": [],
        "installed_at": "2026-11-28T00:00:00+00:00",
    }


@dataclass
class RunningEmulator:
    url: str
    ctx: EmulatorContext
    runner: RunnerStandIn
    registry_file: Path


@pytest.fixture
def start_emulator(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    runner_standin: RunnerStandIn,  # noqa: F811 - the fixture
) -> Iterator[Callable[..., RunningEmulator]]:
    runner = runner_standin
    servers: list[BaseWSGIServer] = []

    def start(app_upstream: str | None = None, targets: Targets | None = None, **env: str):
        registry = tmp_path / "installs.json"
        registry.write_text(json.dumps({"installs": [install_record()]}))
        for name in GATEWAY_ENV:
            monkeypatch.delenv(name, raising=False)
        base = {
            "RUNNER_BACKEND": "docker",
            "RUNNER_DOCKER_HOST": runner.url,
            "INSTALL_REGISTRY_FILE": str(registry),
            "EXT_DEV_TENANT": "dev",
            "EXT_GATEWAY_TIMEOUT_MS": "3000",
        }
        for name, value in (base | env).items():
            monkeypatch.setenv(name, value)
        reset_gateway()
        settings = EmulatorSettings(runner_mode="external", runner_docker_host=runner.url)
        ctx = EmulatorContext(
            routes=route_table(app_upstream),
            supervisor=ExternalRunner(settings),
            history=RequestHistory(5),
            gateway=get_gateway(),
            app_upstream=app_upstream,
            port=0,
            reload=False,
        )
        app = create_app(ctx, targets or load_targets(), echo_requests=False)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return RunningEmulator(f"http://127.0.0.1:{server.server_port}", ctx, runner, registry)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    reset_gateway()
