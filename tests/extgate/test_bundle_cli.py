"""``extgate bundle build`` / ``install`` as an author runs them (real componentize-py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from extgate.cli import main
from runner.app import create_app
from runner.bundles import object_path
from runner.config import load_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "sample-extension"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "extgate", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["bundle"], ["bundle", "build"], ["bundle", "install"]],
)
def test_help_everywhere(args):
    result = run_cli(*args, "--help")
    assert result.returncode == 0
    assert "usage: extgate" in result.stdout


def test_build_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["bundle", "build", str(tmp_path / "absent")]) == 1
    assert "is not a directory" in capsys.readouterr().err

    assert main(["bundle", "build", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: {tmp_path}: manifest.json not found"

    (tmp_path / "manifest.json").write_text('{"name": "x", "runtime": "wasm/v0"}')
    assert main(["bundle", "build", str(tmp_path)]) == 1
    assert "'runtime' must be 'wasm-component/v1'" in capsys.readouterr().err


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    src = tmp_path / "ext"
    shutil.copytree(SAMPLE, src, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    return src


@pytest.mark.slow
def test_build_failure_shows_the_compiler_message(sample_copy, capsys):
    (sample_copy / "app.py").write_text("def broken(:\n    pass\n")
    assert main(["bundle", "build", str(sample_copy)]) == 1
    err = capsys.readouterr().err
    assert "error: component build failed" in err
    assert "SyntaxError" in err or "invalid syntax" in err


@pytest.mark.slow
def test_bad_wit_usage_is_reported(sample_copy, capsys):
    (sample_copy / "app.py").write_text(
        "from wit_world.imports import no_such_interface\n\n"
        "class WitWorld:\n    def handler(self, request):\n        return None\n"
    )
    assert main(["bundle", "build", str(sample_copy)]) == 1
    assert "no_such_interface" in capsys.readouterr().err


@pytest.mark.slow
def test_build_then_install_then_runner_precompiles(sample_copy, tmp_path, capsys):
    out = tmp_path / "sample.tar.zst"
    assert main(["bundle", "build", str(sample_copy), "-o", str(out)]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    content_hash = lines["content_hash"]
    assert lines["bundle"] == str(out) and content_hash.startswith("sha256:")

    store, registry = tmp_path / "store", tmp_path / "installs.json"
    settings = load_settings(
        {"BUNDLE_STORE_BASE": str(store), "RUNNER_DATA_DIR": str(tmp_path / "data")}
    )
    store.mkdir()
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        args = ["bundle", "install", str(out), "--tenant", "acme", "--extension", "sample",
                "--config", "greeting=hi", "--config", "mode=a=b",
                "--store", str(store), "--registry", str(registry),
                "--runner-url", f"http://127.0.0.1:{server.server_port}"]  # fmt: skip
        assert main(args) == 0
        printed = capsys.readouterr().out
        assert "precompiled the bundle" in printed
        assert app.extensions["extgate.runner"].engine.is_compiled(content_hash)
    finally:
        server.shutdown()
        app.extensions["extgate.runner"].close()

    assert (store / object_path(content_hash[7:])).read_bytes() == out.read_bytes()
    installs = json.loads(registry.read_text())["installs"]
    assert len(installs) == 1
    entry = installs[0]
    assert entry["tenant_id"] == "acme" and entry["extension_id"] == "sample"
    assert entry["content_hash"] == content_hash and entry["version_id"] == "1.0.0"
    assert entry["config"] == {"greeting": "hi", "mode": "a=b"}
    assert "cap:storage.kv" in entry["providers"] and entry["install_id"].startswith("inst_")

    # Re-install (runner gone): replaces the entry, keeps the install id, says so.
    assert main(args[:-2] + ["--runner-url", "http://127.0.0.1:9"]) == 0
    assert "not reachable" in capsys.readouterr().out
    again = json.loads(registry.read_text())["installs"]
    assert len(again) == 1 and again[0]["install_id"] == entry["install_id"]


def test_install_validates_names_and_inputs(tmp_path, capsys):
    bundle = tmp_path / "b.tar.zst"
    bundle.write_bytes(b"not a bundle")
    base = ["bundle", "install", str(bundle), "--store", str(tmp_path / "s"),
            "--registry", str(tmp_path / "r.json"), "--no-prepare"]  # fmt: skip
    for tenant in ("Acme", "-acme", "a_b", "x" * 64, ""):
        assert main([*base, f"--tenant={tenant}", "--extension", "sample"]) == 1
        assert "invalid tenant" in capsys.readouterr().err
    assert main([*base, "--tenant", "acme", "--extension", "Sample!"]) == 1
    assert "invalid extension" in capsys.readouterr().err
    assert main([*base, "--tenant", "acme", "--extension", "s", "--config", "novalue"]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main([*base, "--tenant", "acme", "--extension", "s"]) == 1
    assert "archive is corrupt" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
