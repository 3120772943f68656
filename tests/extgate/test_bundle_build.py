"""``build_bundle`` and ``extgate dev`` without compiling (a stand-in ``dist/main.wasm``).

The compiler path is covered by test_bundle_cli.py (slow); these check what the
two commands share: the default output path, the manifest errors, and ``dev``
re-packing an up-to-date component instead of rebuilding it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from extgate.bundle_build import build_bundle, component_path
from extgate.cli import main
from extgate.errors import CliError

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-extension"


@pytest.fixture
def prebuilt(tmp_path) -> Path:
    """A copy of the sample whose dist/main.wasm is newer than its code."""
    src = tmp_path / "ext"
    shutil.copytree(SAMPLE, src, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    wasm = component_path(src)
    wasm.parent.mkdir()
    wasm.write_bytes(b"\0asm stand-in")
    newest = max(p.stat().st_mtime_ns for p in src.rglob("*") if p.is_file())
    os.utime(wasm, ns=(newest + 10**9, newest + 10**9))
    return src


def test_build_bundle_without_rebuild_packs_the_existing_component(prebuilt, capsys):
    packed = build_bundle(prebuilt, rebuild=False)
    assert packed.path == prebuilt / "dist" / "sample.tar.zst"
    assert packed.manifest.name == "sample" and packed.content_hash.startswith("sha256:")
    assert "componentize-py" not in capsys.readouterr().err


def test_build_bundle_errors_name_the_problem(prebuilt, tmp_path):
    component_path(prebuilt).unlink()
    with pytest.raises(CliError, match="component not found"):
        build_bundle(prebuilt, tmp_path / "out.tar.zst", rebuild=False)
    (prebuilt / "manifest.json").write_text("{")
    with pytest.raises(CliError, match=r"ext: manifest.json is not valid JSON"):
        build_bundle(prebuilt, rebuild=False)


def test_dev_installs_an_up_to_date_component_without_rebuilding(
    prebuilt, tmp_path, monkeypatch, capsys
):
    state = tmp_path / "state"
    monkeypatch.setenv("EXTGATE_STATE_DIR", str(state))
    for name in ("INSTALL_REGISTRY_FILE", "EXT_DEV_TENANT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["dev", str(prebuilt), "--runner-url", "http://127.0.0.1:9"]) == 0
    err = capsys.readouterr().err
    assert "componentize-py" not in err and "not reachable" in err
    (entry,) = json.loads((state / "installs.json").read_text())["installs"]
    assert entry["tenant_id"] == "dev" and entry["extension_id"] == "sample"
    assert len(list((state / "bundles").rglob("*.tar.zst"))) == 1


def test_dev_decides_staleness_from_its_one_snapshot(prebuilt, tmp_path, monkeypatch):
    from extgate import dev_cmd

    monkeypatch.setenv("EXTGATE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("INSTALL_REGISTRY_FILE", raising=False)
    walks, rebuilds = [], []
    real_snapshot, real_build = dev_cmd.snapshot, dev_cmd.build_bundle
    monkeypatch.setattr(dev_cmd, "snapshot", lambda src: walks.append(src) or real_snapshot(src))

    def build_bundle_recorded(src, output=None, *, rebuild=True):
        rebuilds.append(rebuild)
        return real_build(src, output, rebuild=False)

    monkeypatch.setattr(dev_cmd, "build_bundle", build_bundle_recorded)
    argv = ["dev", str(prebuilt), "--runner-url", "http://127.0.0.1:9"]
    assert main(argv) == 0
    assert len(walks) == 1 and rebuilds == [False]

    app = prebuilt / "app.py"
    newer = component_path(prebuilt).stat().st_mtime_ns + 10**9
    os.utime(app, ns=(newer, newer))
    assert main(argv) == 0
    assert len(walks) == 2 and rebuilds == [False, True]
