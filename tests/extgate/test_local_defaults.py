"""``bundle install`` and ``dev`` default to the state dir and runner the emulator uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from extgate.cli import build_parser
from extgate.local_defaults import local_defaults

VARIABLES = (
    "EXTGATE_STATE_DIR",
    "INSTALL_REGISTRY_FILE",
    "EXTGATE_RUNNER_URL",
    "RUNNER_DOCKER_PORT",
)
INSTALL = ["bundle", "install", "b.tar.zst", "--tenant", "dev", "--extension", "sample"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_unset_means_dot_extgate_and_port_8085():
    defaults = local_defaults()
    assert defaults.store_dir == Path(".extgate/bundles")
    assert defaults.registry_file == Path(".extgate/installs.json")
    assert defaults.runner_url == "http://127.0.0.1:8085"


def test_bundle_install_and_dev_honour_the_emulator_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTGATE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("RUNNER_DOCKER_PORT", "8099")
    install = build_parser().parse_args(INSTALL)
    assert install.store == tmp_path / "bundles"
    assert install.registry == tmp_path / "installs.json"
    assert install.runner_url == "http://127.0.0.1:8099"
    assert build_parser().parse_args(["dev", "ext"]).runner_url == "http://127.0.0.1:8099"
    assert local_defaults().store_dir == tmp_path / "bundles"


def test_explicit_variables_win_over_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTGATE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("RUNNER_DOCKER_PORT", "8099")
    monkeypatch.setenv("INSTALL_REGISTRY_FILE", str(tmp_path / "elsewhere.json"))
    monkeypatch.setenv("EXTGATE_RUNNER_URL", "http://runner.test:8080")
    install = build_parser().parse_args(INSTALL)
    assert install.registry == tmp_path / "elsewhere.json"
    assert install.runner_url == "http://runner.test:8080"
    assert build_parser().parse_args(["dev", "ext"]).runner_url == "http://runner.test:8080"
