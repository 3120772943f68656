"""x-idempotency-key replay through the app, scoped by tenant + extension."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.runner.execute_calls import execute_body, inner_json, routing

pytestmark = pytest.mark.slow


def increment(client, bundle, tenant, key, body_bytes=None):
    body = execute_body(
        bundle.content_hash, "/counter", method="POST", tenant=tenant, body=body_bytes
    )
    resp = client.post(
        "/v1/execute", json=body, headers=routing(tenant, **{"x-idempotency-key": key})
    )
    return resp


def test_replay_does_not_run_the_guest_twice(client, sample_bundle):
    tenant, key = f"t-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    first = increment(client, sample_bundle, tenant, key)
    second = increment(client, sample_bundle, tenant, key)
    assert inner_json(first.get_json())["value"] == 1
    assert second.get_json() == first.get_json()
    assert second.headers["x-idempotent-replay"] == "true"
    assert "x-idempotent-replay" not in first.headers
    fresh = increment(client, sample_bundle, tenant, uuid.uuid4().hex)
    assert inner_json(fresh.get_json())["value"] == 2


def test_same_key_other_tenant_executes_anew(client, sample_bundle):
    key = uuid.uuid4().hex
    a, b = (f"t-{uuid.uuid4().hex[:10]}" for _ in range(2))
    assert inner_json(increment(client, sample_bundle, a, key).get_json())["value"] == 1
    other = increment(client, sample_bundle, b, key)
    assert "x-idempotent-replay" not in other.headers
    assert inner_json(other.get_json())["value"] == 1
    # and tenant a's counter was not touched by b's call
    assert inner_json(increment(client, sample_bundle, a, key).get_json())["value"] == 1


def test_concurrent_duplicates_run_once(make_app, sample_bundle):
    tenant, key = f"t-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    app = make_app()

    def attempt(_):
        return increment(app.test_client(), sample_bundle, tenant, key).get_json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert {inner_json(o)["value"] for o in outcomes} == {1}
    check = execute_body(sample_bundle.content_hash, "/counter", tenant=tenant)
    out = app.test_client().post("/v1/execute", json=check, headers=routing(tenant)).get_json()
    assert inner_json(out)["value"] == 1


def test_key_reused_with_a_different_body_is_refused(client, sample_bundle):
    tenant, key = f"t-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    increment(client, sample_bundle, tenant, key, b"one")
    out = increment(client, sample_bundle, tenant, key, b"two").get_json()
    assert out["status"] == 409 and out["error"].startswith("idempotency_key_reused")
