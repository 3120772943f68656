"""Inner error codes from a misbehaving guest, through the HTTP app."""

from __future__ import annotations

import threading

import pytest

from runner.app import create_app
from runner.config import load_settings
from runner.runtime import RunnerRuntime, capped
from tests.runner.conftest import runner_env
from tests.runner.execute_calls import execute_body, inner_json, routing

pytestmark = pytest.mark.slow


def run(client, bundle, path, limits=None):
    body = execute_body(bundle.content_hash, path, providers=[], limits=limits)
    resp = client.post("/v1/execute", json=body, headers=routing())
    assert resp.status_code == 200
    return resp.get_json()


def test_infinite_loop_is_execute_timeout_and_others_still_run(
    client, make_app, misbehaving_bundle, sample_bundle
):
    results = {}

    def spin():
        results["spin"] = run(
            make_app().test_client(), misbehaving_bundle, "/spin", {"timeout_ms": 1500}
        )

    worker = threading.Thread(target=spin)
    worker.start()
    ok = client.post(
        "/v1/execute", json=execute_body(sample_bundle.content_hash, "/hello"), headers=routing()
    ).get_json()
    worker.join(timeout=60)
    assert ok["status"] == 200
    out = results["spin"]
    assert out["status"] == 504
    assert out["error"].startswith("execute_timeout")
    assert inner_json(out)["error"] == "execute_timeout"


def test_unbounded_allocation_hits_the_memory_cap(client, misbehaving_bundle):
    out = run(client, misbehaving_bundle, "/allocate", {"timeout_ms": 20_000, "memory_mb": 64})
    assert out["status"] == 500
    assert out["error"].startswith("memory_limit_exceeded")


def test_trap_is_execute_failed_not_timeout(client, misbehaving_bundle):
    out = run(client, misbehaving_bundle, "/trap")
    assert out["status"] == 500
    assert out["error"].startswith("execute_failed")
    assert "fixture trap" not in out["error"]  # guest internals are not echoed
    assert run(client, misbehaving_bundle, "/ok")["status"] == 200


def test_fuel_limit(client, misbehaving_bundle):
    out = run(client, misbehaving_bundle, "/spin", {"timeout_ms": 30_000, "fuel": 50_000_000})
    assert out["status"] == 500
    assert out["error"].startswith("fuel_exhausted")


def test_fresh_instance_per_request(client, misbehaving_bundle):
    seen = [inner_json(run(client, misbehaving_bundle, "/state"))["calls_seen"] for _ in range(3)]
    assert seen == [1, 1, 1]


def test_timeout_above_the_runner_ceiling_is_lowered_to_it(
    shared_runtime, bundle_store, misbehaving_bundle
):
    """A request asking for 60 s against a 1 s ceiling is stopped at about 1 s."""
    settings = load_settings(
        runner_env(bundle_store, shared_runtime.settings.data_dir, RUNNER_MAX_TIMEOUT_MS="1000")
    )
    runtime = RunnerRuntime.build(settings)  # same data dir: the compiled copy is reused
    try:
        app = create_app(settings, runtime=runtime)
        out = run(app.test_client(), misbehaving_bundle, "/spin", {"timeout_ms": 60_000})
    finally:
        runtime.close()
    assert out["status"] == 504
    assert out["error"] == "execute_timeout: guest exceeded 1000 ms"


@pytest.mark.parametrize(
    ("requested", "default", "ceiling", "expected"),
    [
        (None, 5_000, 120_000, 5_000),
        (60_000, 5_000, 120_000, 60_000),
        (600_000, 5_000, 120_000, 120_000),
        (None, 300, 100, 100),
        (None, None, None, None),
        (7, None, None, 7),
        (None, None, 50, 50),
    ],
)
def test_capped(requested, default, ceiling, expected):
    assert capped(requested, default, ceiling) == expected
