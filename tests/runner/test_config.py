"""RunnerSettings: defaults, parsing, and one-line errors naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runner.config import ConfigError, load_settings
from tests.support.loopback import RUNNER_ENV_PREFIXES, env_without


def test_defaults(tmp_path):
    settings = load_settings({"RUNNER_DATA_DIR": str(tmp_path)})
    assert settings.port == 8080
    assert settings.bundle_store_base == "/bundles" and not settings.bundle_store_is_http
    assert settings.service_token is None and settings.max_fuel is None
    assert settings.compiled_cache_dir == tmp_path / "compiled"


def test_values_parsed():
    settings = load_settings(
        {
            "PORT": "9090",
            "BUNDLE_STORE_BASE": "https://bucket.s3.example.com/extgate/",
            "RUNNER_DATA_DIR": "rel/data",
            "RUNNER_SERVICE_TOKEN": " tok ",
            "RUNNER_MAX_FUEL": "1000",
            "EXT_UI_FRAME_ANCESTORS": "'self'   http://localhost:3000",
            "IDEMPOTENCY_TTL_S": "30",
        }
    )
    assert settings.port == 9090
    assert settings.bundle_store_base == "https://bucket.s3.example.com/extgate"
    assert settings.bundle_store_is_http
    assert settings.data_dir == Path("rel/data").resolve()
    assert settings.service_token == "tok" and settings.max_fuel == 1000
    assert settings.ui_frame_ancestors == "'self' http://localhost:3000"
    assert settings.idempotency_ttl_s == 30.0


@pytest.mark.parametrize(
    ("env", "var"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "0"}, "PORT"),
        ({"BUNDLE_STORE_BASE": "ftp://host/x"}, "BUNDLE_STORE_BASE"),
        ({"BUNDLE_STORE_BASE": "https://"}, "BUNDLE_STORE_BASE"),
        ({"RUNNER_DEFAULT_TIMEOUT_MS": "-1"}, "RUNNER_DEFAULT_TIMEOUT_MS"),
        ({"EXT_UI_MAX_ASSET_BYTES": "1e6"}, "EXT_UI_MAX_ASSET_BYTES"),
        ({"EXT_UI_FRAME_ANCESTORS": "'self'; script-src *"}, "EXT_UI_FRAME_ANCESTORS"),
        ({"IDEMPOTENCY_MAX_ENTRIES": "lots"}, "IDEMPOTENCY_MAX_ENTRIES"),
    ],
)
def test_errors_name_the_variable_with_an_example(env, var):
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert message.startswith(f"config error: {var} ")
    assert f"example: {var}=" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"BUNDLE_STORE_BASE": "ftp://x"}, "config error: BUNDLE_STORE_BASE"),
        ({"RUNNER_DATA_DIR": "/proc/not-writable"}, "config error: RUNNER_DATA_DIR"),
    ],
)
def test_wsgi_start_up_errors_are_one_line_exit_2(env, expected):
    result = subprocess.run(
        [sys.executable, "-c", "import runner.wsgi"],
        env={**env_without(*RUNNER_ENV_PREFIXES), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
