"""Settings are read once, validated, and fail with one line naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from functions.config import ConfigError, load_settings
from tests.support.loopback import env_without

REPO = Path(__file__).resolve().parents[2]


def test_defaults_for_knative() -> None:
    settings = load_settings({"RUNNER_BASE_URL": "http://runner.svc/"})
    assert settings.runner_backend == "knative"
    assert settings.runner_base_url == "http://runner.svc"
    assert settings.timeout_s == 30.0
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.runner_public_base == "/runner"
    assert settings.tenant_header == "x-alga-tenant"
    assert str(settings.install_registry_file) == ".extgate/installs.json"


def test_service_token_is_not_in_repr() -> None:
    settings = load_settings({"RUNNER_BASE_URL": "http://r", "RUNNER_SERVICE_TOKEN": "tok-123"})
    assert settings.runner_service_token == "tok-123"
    assert "tok-123" not in repr(settings)


def test_docker_backend_needs_no_base_url() -> None:
    settings = load_settings({"RUNNER_BACKEND": "Docker", "RUNNER_DOCKER_HOST": "http://h:8085"})
    assert (settings.runner_backend, settings.runner_docker_host) == ("docker", "http://h:8085")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"RUNNER_BACKEND": "lambda"}, "RUNNER_BACKEND must be one of knative, docker"),
        ({}, "RUNNER_BASE_URL is required when RUNNER_BACKEND=knative; example: RUNNER_BASE_URL="),
        ({"RUNNER_BASE_URL": "runner:8080"}, "RUNNER_BASE_URL must be an absolute http(s) URL"),
        ({"RUNNER_BASE_URL": "http://r:http"}, "RUNNER_BASE_URL has a malformed port"),
        (
            {"RUNNER_BACKEND": "docker", "RUNNER_DOCKER_HOST": "ftp://x"},
            "RUNNER_DOCKER_HOST must be an absolute http(s) URL; example: "
            "RUNNER_DOCKER_HOST=http://127.0.0.1:8085",
        ),
        (
            {"RUNNER_BASE_URL": "http://r", "EXT_GATEWAY_TIMEOUT_MS": "30s"},
            "EXT_GATEWAY_TIMEOUT_MS must be an integer (got '30s'); "
            "example: EXT_GATEWAY_TIMEOUT_MS=30000",
        ),
        ({"RUNNER_BASE_URL": "http://r", "EXT_GATEWAY_TIMEOUT_MS": "0"}, "must be >= 1"),
        ({"RUNNER_BASE_URL": "http://r", "EXT_GATEWAY_MAX_BODY_BYTES": "-5"}, "must be >= 1"),
        ({"RUNNER_BASE_URL": "http://r", "RUNNER_PUBLIC_BASE": "runner"}, "RUNNER_PUBLIC_BASE"),
        ({"RUNNER_BASE_URL": "http://r", "EXT_TENANT_HEADER": "x tenant"}, "EXT_TENANT_HEADER"),
        ({"RUNNER_BASE_URL": "http://r", "EXT_DEV_TENANT": "../etc"}, "EXT_DEV_TENANT"),
        ({"RUNNER_BASE_URL": "http://r", "LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of"),
        ({"RUNNER_BASE_URL": "http://r", "REGISTRY_BASE_URL": "registry"}, "REGISTRY_BASE_URL"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message
    assert "; example: " in message


def _serve_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = env_without("RUNNER_", "EXT_")
    bindir = Path(sys.executable).parent
    return subprocess.run(
        [str(bindir / "functions-framework"), "--source", "functions/main.py",
         "--target", "execute", "--port", "0"],
        cwd=REPO, env=clean | env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_bad_config_stops_the_function_with_one_line_and_status_2() -> None:
    result = _serve_with({"RUNNER_BACKEND": "lambda"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: RUNNER_BACKEND must be one of knative, docker (got 'lambda'); "
        "example: RUNNER_BACKEND=knative"
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_runner_url_stops_the_function() -> None:
    result = _serve_with({"RUNNER_BACKEND": "knative"})
    assert result.returncode == 2
    assert result.stderr.startswith("config error: RUNNER_BASE_URL is required")


def test_docker_without_host_needs_the_docker_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked in load_settings, so gunicorn's master stops instead of re-forking workers."""
    monkeypatch.setitem(sys.modules, "docker", None)  # the SDK is not importable
    with pytest.raises(ConfigError) as caught:
        load_settings({"RUNNER_BACKEND": "docker"})
    assert str(caught.value) == (
        "RUNNER_DOCKER_HOST is required when RUNNER_BACKEND=docker and the docker SDK is not "
        "installed; example: RUNNER_DOCKER_HOST=http://127.0.0.1:8085"
    )
    settings = load_settings({"RUNNER_BACKEND": "docker", "RUNNER_DOCKER_HOST": "http://h:1"})
    assert settings.runner_docker_host == "http://h:1"


def test_backend_requirements_are_checked_once_in_load_settings() -> None:
    sources = {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
        for path in (REPO / "functions").rglob("*.py")
    }
    for kind in ("knative", "docker"):
        phrase = f"is required when RUNNER_BACKEND={kind}"
        holders = {name: text.count(phrase) for name, text in sources.items() if phrase in text}
        assert holders == {"functions/config.py": 1}
