"""Shared helpers for the Knative tests: the manifests, rendered overlays, validator,
and what the served gateway needs (a runner stand-in, an install registry)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runner_standin import runner_standin  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[2]
KNATIVE = REPO / "knative"
OVERLAYS = ("dev", "prod")
INSTALLS = {"installs": [{
    "tenant_id": "acme", "extension_id": "sample", "install_id": "inst_1",
    "version_id": "1.0.0", "content_hash": "sha256:" + "ab" * 32, "config": {},
    "providers": [], "allowed_hosts": [], "installed_at": "2026-11-28T00:00:00Z",
}]}  # fmt: skip


@pytest.fixture
def registry_file(tmp_path) -> Path:
    """The gateway's install registry holding INSTALLS, readable inside a container too."""
    path = tmp_path / "installs.json"
    path.write_text(json.dumps(INSTALLS))
    path.chmod(0o644)
    return path


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    """Both overlays rendered by the real kustomize engine (installed on first use)."""
    install = subprocess.run(
        [sys.executable, str(KNATIVE / "render.py"), "install"], capture_output=True, text=True
    )
    if install.returncode != 0:
        pytest.fail(f"could not install the kustomize engine: {install.stderr.strip()}")
    out = {}
    for overlay in OVERLAYS:
        result = subprocess.run(
            [
                sys.executable,
                str(KNATIVE / "render.py"),
                "build",
                str(KNATIVE / "overlays" / overlay),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        out[overlay] = result.stdout
    return out
