"""Fixtures for gateway tests: a real loopback runner stand-in and target clients.

`make_client("execute", RUNNER_BACKEND="docker", ...)` loads `functions/main.py`
through functions-framework exactly as `--source/--target` would, with a fresh
gateway built from the given environment.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import functions_framework
import pytest

from functions.gateway import reset_gateway
from functions.request_log import LOGGER_NAME
from tests.support.runner_standin import RunnerStandIn, runner_standin  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[2]
MAIN = str(REPO / "functions" / "main.py")
CONTENT_HASH = "sha256:" + "ab" * 32
GATEWAY_ENV = (
    "RUNNER_BACKEND", "RUNNER_BASE_URL", "RUNNER_DOCKER_HOST", "RUNNER_DOCKER_SERVICE",
    "RUNNER_PUBLIC_BASE", "RUNNER_SERVICE_TOKEN", "EXT_GATEWAY_TIMEOUT_MS",
    "EXT_GATEWAY_CONNECT_TIMEOUT_MS", "EXT_GATEWAY_MAX_BODY_BYTES", "INSTALL_REGISTRY_FILE",
    "REGISTRY_BASE_URL", "REGISTRY_CACHE_TTL_S", "EXT_TENANT_HEADER", "EXT_DEV_TENANT",
    "LOG_LEVEL",
)  # fmt: skip


def install_record(**overrides: object) -> dict:
    record = {
        "tenant_id": "acme",
        "extension_id": "sample",
        "install_id": "inst_1",
        "version_id": "1.0.0",
        "content_hash": CONTENT_HASH,
        "config": {"greeting": "hi"},
        "providers": ["cap:storage.kv"],
        "allowed_hosts": [],
        "installed_at": "2026-11-28T00:00:00Z",
    }
    record.update(overrides)
    return record


@pytest.fixture
def runner(runner_standin: RunnerStandIn) -> RunnerStandIn:  # noqa: F811 - the fixture
    """The shared stand-in under the short name these tests use."""
    return runner_standin


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "installs.json"
    path.write_text(json.dumps({"installs": [install_record()]}))
    return path


@pytest.fixture
def make_client(
    monkeypatch: pytest.MonkeyPatch, runner: RunnerStandIn, registry_file: Path
) -> Iterator[Callable[..., object]]:
    def build(target: str, **env: str):
        for name in GATEWAY_ENV:
            monkeypatch.delenv(name, raising=False)
        defaults = {"RUNNER_BASE_URL": runner.url, "INSTALL_REGISTRY_FILE": str(registry_file)}
        for name, value in (defaults | env).items():
            monkeypatch.setenv(name, value)
        reset_gateway()
        return functions_framework.create_app(target=target, source=MAIN).test_client()

    yield build
    reset_gateway()


class LogCapture(logging.Handler):
    """Collects the formatted request-log lines (the real logger, a second handler)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def request_log() -> Iterator[LogCapture]:
    capture = LogCapture()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(capture)
    yield capture
    logger.removeHandler(capture)
