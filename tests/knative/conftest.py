"""Shared helpers for the Knative tests: the manifests, rendered overlays, validator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KNATIVE = REPO / "knative"
OVERLAYS = ("dev", "prod")


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
