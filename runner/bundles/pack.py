"""Pack a bundle into a deterministic ``.tar.zst``.

The address of a bundle is the hash of its archive, so the same inputs must give
the same bytes: entries sorted, fixed mtime/uid/gid/owner names and modes, one
zstd frame at a fixed level with a content checksum (so a corrupted archive fails
extraction instead of yielding garbage). Hidden files and ``__pycache__`` under ``ui/`` are
left out (the runner would refuse to serve them anyway).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import zstandard

from runner.bundles.content_hash import format_content_hash
from runner.bundles.errors import BundleError
from runner.bundles.manifest import Manifest, load_manifest

ZSTD_LEVEL = 10
MANIFEST = "manifest.json"
WASM = "dist/main.wasm"


@dataclass(frozen=True)
class PackedBundle:
    path: Path
    content_hash: str
    manifest: Manifest
    size: int


def collect_entries(src_dir: Path, wasm_path: Path) -> list[tuple[str, Path]]:
    """Archive name -> source file, sorted by name."""
    entries = {MANIFEST: src_dir / MANIFEST, WASM: wasm_path}
    ui_dir = src_dir / "ui"
    if ui_dir.is_dir():
        for root, dirs, files in os.walk(ui_dir):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
            for name in files:
                if name.startswith("."):
                    continue
                path = Path(root) / name
                if path.is_symlink():
                    raise BundleError(f"ui/ must not contain symlinks: {path.relative_to(src_dir)}")
                entries[path.relative_to(src_dir).as_posix()] = path
    return sorted(entries.items())


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def pack_bundle(src_dir: Path, wasm_path: Path, out_path: Path) -> PackedBundle:
    """Validate the manifest, pack ``src_dir`` + the component, write ``out_path`` atomically."""
    manifest = load_manifest(src_dir / MANIFEST)
    if not wasm_path.is_file():
        raise BundleError(f"component not found: {wasm_path}")
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in collect_entries(src_dir, wasm_path):
            with path.open("rb") as fh:
                tar.addfile(_tar_info(name, path.stat().st_size), fh)
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True)
    data = compressor.compress(tar_bytes.getvalue())
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=".pack-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(data).hexdigest()
    return PackedBundle(out_path, format_content_hash(digest), manifest, len(data))
