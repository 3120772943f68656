"""Corrupt or mismatched bundles: 502 bundle_fetch_failed, and nothing is served afterwards."""

from __future__ import annotations

import hashlib

import pytest

from tests.runner.conftest import publish
from tests.runner.execute_calls import execute_body, inner_json, routing

pytestmark = pytest.mark.slow


def assert_never_served(client, content_hash: str) -> None:
    for _ in range(2):  # a retry fetches again and fails again: nothing was cached
        out = client.post(
            "/v1/execute", json=execute_body(content_hash, "/hello"), headers=routing()
        ).get_json()
        assert out["status"] == 502 and out["error"].startswith("bundle_fetch_failed")
        assert inner_json(out)["error"] == "bundle_fetch_failed"
        ui = client.get(f"/ext-ui/sample/{content_hash}/index.html")
        assert ui.status_code == 502 and ui.get_json()["error"] == "bundle_fetch_failed"
        prep = client.post("/v1/prepare", json={"content_hash": content_hash})
        assert prep.status_code == 502


def test_hash_mismatch(client, bundle_store, sample_bundle, shared_runtime, tmp_path):
    # The real sample bundle, stored under an address that is not its hash.
    wrong = hashlib.sha256(b"something else").hexdigest()
    publish(bundle_store, sample_bundle.path, wrong)
    assert_never_served(client, f"sha256:{wrong}")
    assert not (shared_runtime.bundles.cache_dir / "sha256" / wrong).exists()


def test_corrupt_archive(client, bundle_store, sample_bundle, shared_runtime, tmp_path):
    data = bytearray(sample_bundle.path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    corrupt = tmp_path / "corrupt.tar.zst"
    corrupt.write_bytes(bytes(data))
    digest = hashlib.sha256(bytes(data)).hexdigest()  # address matches: the content is bad
    publish(bundle_store, corrupt, digest)
    assert_never_served(client, f"sha256:{digest}")
    assert not (shared_runtime.bundles.cache_dir / "sha256" / digest).exists()


def test_truncated_archive(client, bundle_store, sample_bundle, shared_runtime, tmp_path):
    data = sample_bundle.path.read_bytes()[:4096]
    truncated = tmp_path / "truncated.tar.zst"
    truncated.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    publish(bundle_store, truncated, digest)
    assert_never_served(client, f"sha256:{digest}")
