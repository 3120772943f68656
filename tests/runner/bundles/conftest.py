"""Small real bundles built on the fly (a stand-in wasm file is enough for packing)."""

import json
from pathlib import Path

import pytest

MANIFEST = {
    "name": "demo",
    "publisher": "extgate",
    "version": "0.1.0",
    "runtime": "wasm-component/v1",
    "capabilities": ["cap:storage.kv"],
    "ui": {"type": "iframe", "entry": "ui/index.html"},
}


@pytest.fixture
def bundle_src(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src"
    (src / "ui" / "assets").mkdir(parents=True)
    (src / "manifest.json").write_text(json.dumps(MANIFEST))
    (src / "ui" / "index.html").write_text("<!doctype html><h1>demo</h1>")
    (src / "ui" / "assets" / "app.js").write_text("console.log('demo');")
    (src / "ui" / ".secret").write_text("hidden")
    wasm = tmp_path / "main.wasm"
    wasm.write_bytes(b"\0asm" + bytes(range(256)) * 64)
    return src, wasm
