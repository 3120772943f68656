"""The HTTP(S) bundle store against a real loopback HTTP server."""

import functools
import http.server

import pytest

from runner.bundles import BundleCache, object_path, pack_bundle
from runner.bundles.errors import BundleNotFound, BundleStoreUnavailable
from runner.bundles.store import HttpBundleStore, build_bundle_store
from runner.config import load_settings
from tests.support.loopback import serve_http


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_store_dir(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    with serve_http(handler) as base_url:
        yield root, f"{base_url}/bucket"


def test_fetch_over_http_and_verify(bundle_src, tmp_path, http_store_dir):
    root, base = http_store_dir
    src, wasm = bundle_src
    packed = pack_bundle(src, wasm, tmp_path / "demo.tar.zst")
    target = root / "bucket" / object_path(packed.content_hash[7:])
    target.parent.mkdir(parents=True)
    target.write_bytes(packed.path.read_bytes())

    store = build_bundle_store(
        load_settings({"BUNDLE_STORE_BASE": base, "RUNNER_DATA_DIR": str(tmp_path / "d")})
    )
    assert isinstance(store, HttpBundleStore)
    store.check()
    bundle = BundleCache(tmp_path / "cache", store).get(packed.content_hash)
    assert (bundle.ui_dir / "index.html").read_text().startswith("<!doctype html>")

    with pytest.raises(BundleNotFound):
        store.fetch("cd" * 32, tmp_path / "x")


def test_size_cap_and_unreachable(tmp_path, http_store_dir):
    root, base = http_store_dir
    digest = "ef" * 32
    target = root / "bucket" / object_path(digest)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"0" * 4096)
    with pytest.raises(BundleStoreUnavailable, match="size limit"):
        HttpBundleStore(base, 5, max_bytes=1024).fetch(digest, tmp_path / "x")

    dead = HttpBundleStore("http://127.0.0.1:9", 2, max_bytes=1024)
    with pytest.raises(BundleStoreUnavailable) as info:
        dead.fetch(digest, tmp_path / "y")
    assert "127.0.0.1" not in info.value.message  # no internal URLs in messages
    with pytest.raises(BundleStoreUnavailable):
        dead.check()
