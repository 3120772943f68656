"""The extracted-bundle cache under ``$RUNNER_DATA_DIR/bundles``.

A bundle is served only from ``sha256/<hex>/``, which appears in one atomic
rename after download, hash verification, safe extraction and manifest checks
all succeeded — so a half-extracted or unverified bundle is never visible.
Concurrency: one in-process lock per hash (threads) plus an ``flock`` on a lock
file (gunicorn workers sharing the data dir); losers of a race reuse the winner's
directory. Every hash ever asked for (even an unknown one) leaves a lock file; the
start-up sweep unlinks old ones that nobody holds, so a holder re-checks after
``flock`` that its file is still the one at the path and re-opens it if not.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from runner.bundles.content_hash import format_content_hash, parse_content_hash, sha256_file
from runner.bundles.errors import BundleError, ContentHashMismatch, ManifestError
from runner.bundles.extract import ExtractLimits, extract_bundle
from runner.bundles.manifest import Manifest, load_manifest
from runner.bundles.pack import WASM
from runner.bundles.store import BundleStore


@dataclass(frozen=True)
class ExtractedBundle:
    content_hash: str
    root: Path
    manifest: Manifest

    @property
    def wasm_path(self) -> Path:
        return self.root / WASM

    @property
    def ui_dir(self) -> Path:
        return self.root / "ui"


class BundleCache:
    """Fetch-verify-extract once per content hash; then answer from memory."""

    def __init__(self, cache_dir: Path, store: BundleStore, limits: ExtractLimits | None = None):
        self.cache_dir = cache_dir
        self.store = store
        self.limits = limits or ExtractLimits()
        self._ready: dict[str, ExtractedBundle] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        (cache_dir / "sha256").mkdir(parents=True, exist_ok=True)
        (cache_dir / "tmp").mkdir(parents=True, exist_ok=True)
        self._sweep_stale_work()

    def get(self, content_hash: str) -> ExtractedBundle:
        """Return the extracted bundle, fetching it first if needed.

        Raises ``InvalidContentHash`` (400) or a ``BundleError`` (502).
        """
        hex_digest = parse_content_hash(content_hash)
        ready = self._ready.get(hex_digest)
        if ready is not None:
            return ready
        with self._hash_lock(hex_digest), self._file_lock(hex_digest):
            ready = self._ready.get(hex_digest)
            if ready is None:
                final = self.cache_dir / "sha256" / hex_digest
                if not final.is_dir():
                    self._fetch_and_extract(hex_digest, final)
                ready = self._open(hex_digest, final)
                self._ready[hex_digest] = ready
            return ready

    def _sweep_stale_work(self, max_age_s: float = 3600.0) -> None:
        """Remove what earlier processes left in ``tmp/`` more than ``max_age_s`` ago.

        Work dirs of a crashed process (live ones are minutes old at most), and lock
        files that no process holds (other workers may be running and holding some).
        """
        cutoff = time.time() - max_age_s
        for path in (self.cache_dir / "tmp").iterdir():
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                elif path.suffix == ".lock":
                    _unlink_unheld_lock(path)
            except OSError:
                continue

    def cached_count(self) -> int:
        return sum(1 for p in (self.cache_dir / "sha256").iterdir() if p.is_dir())

    def _open(self, hex_digest: str, final: Path) -> ExtractedBundle:
        manifest = load_manifest(final / "manifest.json")
        return ExtractedBundle(format_content_hash(hex_digest), final, manifest)

    def _fetch_and_extract(self, hex_digest: str, final: Path) -> None:
        work = Path(tempfile.mkdtemp(prefix=f"{hex_digest[:12]}-", dir=self.cache_dir / "tmp"))
        try:
            archive = work / "bundle.tar.zst"
            self.store.fetch(hex_digest, archive)
            actual = sha256_file(archive)
            if actual != hex_digest:
                raise ContentHashMismatch(
                    "bundle content does not match its content hash (corrupt or tampered)"
                )
            tree = work / "tree"
            tree.mkdir()
            extract_bundle(archive, tree, self.limits)
            self._check_layout(tree)
            tree.rename(final)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @staticmethod
    def _check_layout(tree: Path) -> None:
        load_manifest(tree / "manifest.json")
        if not (tree / WASM).is_file():
            raise ManifestError(f"bundle has no {WASM}")

    @contextmanager
    def _hash_lock(self, hex_digest: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(hex_digest, threading.Lock())
        with lock:
            yield

    @contextmanager
    def _file_lock(self, hex_digest: str) -> Iterator[None]:
        path = self.cache_dir / "tmp" / f"{hex_digest}.lock"
        while True:
            with path.open("a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    if _is_file_at(fh.fileno(), path):
                        yield
                        return
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
            # A sweep unlinked the file between our open and flock: lock the new one.


def _is_file_at(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _unlink_unheld_lock(path: Path) -> None:
    """Unlink ``path`` if no process holds its ``flock`` (checked without waiting)."""
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        # Holding the lock on the file at the path: nobody else may unlink it now.
        if _is_file_at(fh.fileno(), path):
            path.unlink()


__all__ = ["BundleCache", "BundleError", "ExtractedBundle"]
