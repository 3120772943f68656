"""The extraction cache: verified, atomic, once per hash, nothing served after a failure."""

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from runner.bundles import BundleCache, BundleError, object_path, pack_bundle
from runner.bundles.content_hash import sha256_file
from runner.bundles.errors import BundleNotFound, ContentHashMismatch, UnsafeArchive
from runner.bundles.store import DirectoryBundleStore
from runner.errors import InvalidContentHash
from tests.runner.bundles.evil_archives import file_member, link_member, write_archive


class CountingStore(DirectoryBundleStore):
    """The real directory store, counting fetches."""

    def __init__(self, base: Path) -> None:
        super().__init__(base, max_bytes=10**9)
        self.fetches = 0

    def fetch(self, hex_digest, dest):
        self.fetches += 1
        super().fetch(hex_digest, dest)


def publish(store_dir: Path, archive: Path, hex_digest: str) -> None:
    target = store_dir / object_path(hex_digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(archive.read_bytes())


def visible_bundles(cache_dir: Path) -> list[str]:
    return sorted(p.name for p in (cache_dir / "sha256").iterdir())


@pytest.fixture
def packed(bundle_src, tmp_path):
    src, wasm = bundle_src
    return pack_bundle(src, wasm, tmp_path / "demo.tar.zst")


def test_fetch_extract_once_then_from_memory(packed, tmp_path):
    store = CountingStore(tmp_path / "store")
    publish(store.base, packed.path, packed.content_hash[7:])
    cache = BundleCache(tmp_path / "cache", store)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(packed.content_hash)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.fetches == 1
    assert len({r.root for r in results}) == 1
    bundle = results[0]
    assert bundle.manifest.name == "demo"
    assert bundle.wasm_path.is_file()
    assert (bundle.ui_dir / "index.html").is_file()
    # Upper-case hex addresses the same bundle.
    assert cache.get(packed.content_hash.upper().replace("SHA256", "sha256")).root == bundle.root
    # A new cache on the same dir (restart) reuses the extraction without fetching.
    again = BundleCache(tmp_path / "cache", store)
    assert again.get(packed.content_hash).root == bundle.root
    assert store.fetches == 1
    assert cache.cached_count() == 1


def test_hash_mismatch_serves_nothing(packed, tmp_path):
    store = CountingStore(tmp_path / "store")
    wrong = "ab" * 32
    publish(store.base, packed.path, wrong)  # valid bundle under the wrong address
    cache = BundleCache(tmp_path / "cache", store)
    for _ in range(2):  # and it stays refused
        with pytest.raises(ContentHashMismatch) as info:
            cache.get(f"sha256:{wrong}")
        assert info.value.code == "bundle_fetch_failed" and info.value.status == 502
    assert visible_bundles(tmp_path / "cache") == []
    assert list((tmp_path / "cache" / "tmp").glob("*-*")) == []  # temp dirs cleaned up


def test_corrupt_and_unsafe_bundles_serve_nothing(tmp_path):
    store = CountingStore(tmp_path / "store")
    corrupt = tmp_path / "corrupt.tar.zst"
    corrupt.write_bytes(b"\x28\xb5\x2f\xfd garbage")
    evil = write_archive(
        tmp_path / "evil.tar.zst",
        [file_member("manifest.json", b"{}"), link_member("ui/x", "/etc/passwd")],
    )
    cache = BundleCache(tmp_path / "cache", store)
    for archive, error in ((corrupt, UnsafeArchive), (evil, UnsafeArchive)):
        digest = sha256_file(archive)
        publish(store.base, archive, digest)
        with pytest.raises(error):
            cache.get(f"sha256:{digest}")
    assert visible_bundles(tmp_path / "cache") == []


def test_missing_manifest_or_component_is_refused(tmp_path):
    store = CountingStore(tmp_path / "store")
    no_wasm = write_archive(
        tmp_path / "nowasm.tar.zst",
        [file_member("manifest.json", Path(__file__).with_name("conftest.py").read_bytes())],
    )
    digest = sha256_file(no_wasm)
    publish(store.base, no_wasm, digest)
    with pytest.raises(BundleError):
        BundleCache(tmp_path / "cache", store).get(f"sha256:{digest}")


def test_unknown_and_malformed_addresses(tmp_path):
    cache = BundleCache(tmp_path / "cache", CountingStore(tmp_path / "store"))
    with pytest.raises(BundleNotFound):
        cache.get("sha256:" + "0" * 64)
    with pytest.raises(InvalidContentHash):
        cache.get("sha256:xyz")
    with pytest.raises(InvalidContentHash):
        cache.get("md5:" + "0" * 32)


def test_stale_work_dirs_from_a_crash_are_swept(tmp_path):
    stale = tmp_path / "cache" / "tmp" / "abc-crashed"
    fresh = tmp_path / "cache" / "tmp" / "def-running"
    for path in (stale, fresh):
        path.mkdir(parents=True)
        (path / "bundle.tar.zst").write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    BundleCache(tmp_path / "cache", CountingStore(tmp_path / "store"))
    assert not stale.exists() and fresh.exists()


def age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_old_lock_files_nobody_holds_are_swept(tmp_path):
    cache = BundleCache(tmp_path / "cache", CountingStore(tmp_path / "store"))
    unknown = "0" * 64
    with pytest.raises(BundleNotFound):
        cache.get(f"sha256:{unknown}")
    tmp = tmp_path / "cache" / "tmp"
    stale, fresh, held = tmp / f"{unknown}.lock", tmp / f"{'1' * 64}.lock", tmp / f"{'2' * 64}.lock"
    assert stale.is_file()  # every requested hash leaves one, even an unknown one
    fresh.touch()
    held.touch()
    age(stale)
    age(held)
    with held.open("a") as holder:  # another worker is fetching this hash right now
        fcntl.flock(holder, fcntl.LOCK_EX)
        BundleCache(tmp_path / "cache", CountingStore(tmp_path / "store"))
    assert not stale.exists() and fresh.exists() and held.exists()


def test_a_lock_file_unlinked_while_waiting_is_reopened(tmp_path):
    """A waiter that wins the flock on a file the sweep just unlinked must lock the file
    now at the path instead; otherwise a third process could lock that one meanwhile."""
    cache = BundleCache(tmp_path / "cache", CountingStore(tmp_path / "store"))
    digest = "3" * 64
    path = tmp_path / "cache" / "tmp" / f"{digest}.lock"
    excluded: list[bool] = []

    def wait_for_lock() -> None:
        with cache._file_lock(digest), path.open("a") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                excluded.append(True)
            else:
                excluded.append(False)

    with path.open("a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        time.sleep(0.3)  # the waiter has opened the file and blocks in flock
        path.unlink()  # what the sweep does to a lock file it holds
        fcntl.flock(holder, fcntl.LOCK_UN)
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert excluded == [True]
