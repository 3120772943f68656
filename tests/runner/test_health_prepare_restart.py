"""healthz, prepare, and a runner restart on the same data dir."""

from __future__ import annotations

import json
import uuid

import pytest

from runner.app import create_app
from runner.bundles import pack_bundle
from runner.config import load_settings
from tests.runner.conftest import UI_RULES_DIR, publish, runner_env
from tests.runner.execute_calls import execute_body, inner_json, routing

pytestmark = pytest.mark.slow


def test_healthz_reports_checks_without_cache_headers(client, sample_bundle):
    client.post("/v1/prepare", json={"content_hash": sample_bundle.content_hash})
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["bundle_store"] == "ok" and checks["cache_writable"] is True
    assert checks["compiled_components"] >= 1 and checks["bundles_cached"] >= 1


def test_healthz_503_when_store_missing(tmp_path):
    env = runner_env(tmp_path / "no-such-store", tmp_path / "data")
    app = create_app(load_settings(env))
    try:
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 503
        body = resp.get_json()
        assert body["status"] == "unavailable"
        assert body["checks"]["bundle_store"].startswith("unavailable")
        assert str(tmp_path) not in resp.get_data(as_text=True)  # no host paths
    finally:
        app.extensions["extgate.runner"].close()


def test_prepare_validates_input(client):
    assert client.post("/v1/prepare", json={}).get_json()["error"] == "invalid_request"
    resp = client.post("/v1/prepare", json={"content_hash": "sha256:nope"})
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_content_hash"


def test_prepare_error_message_does_not_repeat_the_code(client, bundle_store, tmp_path):
    """HTTP-level errors carry the code once, in ``error``; the inner error adds it once."""
    src = tmp_path / "src"
    src.mkdir()
    manifest = json.loads((UI_RULES_DIR / "manifest.json").read_text())
    (src / "manifest.json").write_text(json.dumps({**manifest, "name": "junk"}))
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"\0asm junk")
    packed = pack_bundle(src, junk, tmp_path / "junk.tar.zst")
    publish(bundle_store, packed.path, packed.content_hash.split(":", 1)[1])

    resp = client.post("/v1/prepare", json={"content_hash": packed.content_hash})
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["error"] == "engine_init_failed"
    assert body["message"] and not body["message"].startswith("engine_init_failed")
    out = client.post(
        "/v1/execute", json=execute_body(packed.content_hash, "/hello"), headers=routing()
    ).get_json()
    assert out["error"] == f"engine_init_failed: {body['message']}"
    assert inner_json(out)["message"] == body["message"]


def test_restart_keeps_storage_and_compiled_component(bundle_store, sample_bundle, tmp_path):
    env = runner_env(bundle_store, tmp_path / "data")
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    body = execute_body(sample_bundle.content_hash, "/counter", method="POST", tenant=tenant)

    first = create_app(load_settings(env))
    try:
        prepared = first.test_client().post(
            "/v1/prepare", json={"content_hash": sample_bundle.content_hash}
        )
        assert prepared.status_code == 200 and prepared.get_json()["name"] == "sample"
        for expected in (1, 2):
            out = first.test_client().post("/v1/execute", json=body, headers=routing(tenant))
            assert inner_json(out.get_json())["value"] == expected
    finally:
        first.extensions["extgate.runner"].close()

    second = create_app(load_settings(env))  # "restart": new process state, same volume
    try:
        runtime = second.extensions["extgate.runner"]
        out = second.test_client().post("/v1/execute", json=body, headers=routing(tenant))
        assert inner_json(out.get_json())["value"] == 3
        stats = runtime.engine.cache_stats()
        assert stats.loaded_from_disk == 1 and stats.compiled_from_source == 0
    finally:
        second.extensions["extgate.runner"].close()
