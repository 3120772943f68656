"""`make deploy` plumbing: render --split gives one object per file, and deploy.sh
applies Services with `kn service apply` and the rest with `kubectl apply` (dry run)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from tests.knative.conftest import KNATIVE


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_split_then_deploy_dry_run(rendered, tmp_path, overlay):
    out = tmp_path / overlay
    result = subprocess.run(
        [sys.executable, str(KNATIVE / "render.py"), "build", str(KNATIVE / "overlays" / overlay),
         "--split", str(out), "-o", str(tmp_path / f"{overlay}.yaml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"{overlay}.yaml").read_text() == rendered[overlay]
    files = sorted(out.glob("*.yaml"))
    assert all(len([d for d in yaml.safe_load_all(f.read_text()) if d]) == 1 for f in files)

    deploy = subprocess.run(
        [str(KNATIVE / "deploy.sh"), str(out)],
        capture_output=True, text=True, env=os.environ | {"DRY_RUN": "1", "PYTHON": sys.executable},
    )  # fmt: skip
    assert deploy.returncode == 0, deploy.stderr
    commands = [line[2:] for line in deploy.stdout.splitlines() if line.startswith("+ ")]
    kn = [c for c in commands if c.startswith("kn service apply")]
    assert len(kn) == 5
    namespace = {"dev": "extgate-dev", "prod": "extgate"}[overlay]
    assert all(f"--namespace {namespace}" in c for c in kn)
    applied = [c for c in commands if c.startswith("kubectl apply")]
    assert len(applied) == len(files) - 5
    creates_secret = any("create secret generic extgate-runner-token" in c for c in commands)
    assert creates_secret == (overlay == "prod")  # dev ships its dev-only Secret
    assert "RUNNER_SERVICE_TOKEN=<random>" in deploy.stdout or overlay == "dev"


def test_deploy_refuses_an_empty_directory(tmp_path):
    result = subprocess.run([str(KNATIVE / "deploy.sh"), str(tmp_path)], capture_output=True,
                            text=True, env=os.environ | {"DRY_RUN": "1"})  # fmt: skip
    assert result.returncode == 1 and "no manifests" in result.stderr


def test_tools_have_help():
    for tool in ([str(KNATIVE / "deploy.sh")],
                 [sys.executable, str(KNATIVE / "render.py")],
                 [sys.executable, str(KNATIVE / "validate.py")]):  # fmt: skip
        result = subprocess.run([*tool, "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout.strip()
