"""POST /v1/execute through the Flask app with the real sample component."""

from __future__ import annotations

import uuid

import pytest

from tests.runner.execute_calls import execute_body, inner_json, routing

pytestmark = pytest.mark.slow


def unique_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def call(client, body, headers=None):
    resp = client.post("/v1/execute", json=body, headers=routing() if headers is None else headers)
    assert resp.status_code == 200, resp.data
    assert resp.headers["Cache-Control"] == "no-store"
    return resp, resp.get_json()


def test_happy_path_hello(client, sample_bundle):
    body = execute_body(sample_bundle.content_hash, "/hello", query={"name": "Ada"})
    resp, out = call(client, body, routing(**{"x-request-id": "req-123"}))
    assert out["status"] == 200 and out["error"] is None
    assert out["headers"]["content-type"] == "application/json"
    payload = inner_json(out)
    assert payload["message"] == "hello from tests, Ada!"
    assert payload["tenant"] == "acme" and payload["extension"] == "sample"
    assert payload["requestId"] == "req-123"
    assert resp.headers["x-request-id"] == "req-123"
    assert "immutable" not in resp.headers.get("Cache-Control", "")


def test_echo_carries_method_path_query_body(client, sample_bundle):
    body = execute_body(
        sample_bundle.content_hash, "/echo", method="post", query={"a": "1"}, body=b'{"x": 1}'
    )
    _, out = call(client, body)
    assert inner_json(out) == {
        "method": "POST",
        "path": "/echo",
        "query": {"a": "1"},
        "body": '{"x": 1}',
        "contentType": "application/json",
    }


def test_guest_404_is_passed_through(client, sample_bundle):
    headers = routing(**{"x-request-id": "req-404"})
    _, out = call(client, execute_body(sample_bundle.content_hash, "/nope"), headers)
    assert out["status"] == 404 and out["error"] is None
    assert inner_json(out) == {
        "error": "not_found",
        "message": "no route GET /nope",
        "requestId": "req-404",
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-alga-tenant": "acme"}, {"x-alga-extension": "sample"}],
    ids=["none", "no-extension", "no-tenant"],
)
def test_missing_routing_headers(client, sample_bundle, headers):
    _, out = call(client, execute_body(sample_bundle.content_hash, "/hello"), headers)
    assert out["status"] == 400
    assert out["error"].startswith("missing_routing_headers")
    error = inner_json(out)
    assert error["error"] == "missing_routing_headers" and error["requestId"]


def test_routing_headers_must_match_the_context(client, sample_bundle):
    _, out = call(client, execute_body(sample_bundle.content_hash, "/hello"), routing("other"))
    assert out["status"] == 400 and out["error"].startswith("missing_routing_headers")


def test_unknown_capabilities(client, sample_bundle):
    body = execute_body(
        sample_bundle.content_hash, "/hello", providers=["cap:storage.kv", "cap:teleport"]
    )
    _, out = call(client, body)
    assert out["status"] == 400
    assert out["error"] == "unknown_capabilities: cap:teleport"


def test_denied_capability_is_an_answer_not_a_crash(client, sample_bundle):
    _, out = call(client, execute_body(sample_bundle.content_hash, "/secret"))
    assert out["status"] == 200
    assert inner_json(out) == {"key": "api-key", "granted": False, "error": "denied"}
    body = execute_body(sample_bundle.content_hash, "/counter", providers=[])
    _, out = call(client, body)
    assert out["status"] == 403 and inner_json(out) == {"error": "denied"}


def test_bundle_fetch_failed_for_unknown_bundle(client):
    _, out = call(client, execute_body("sha256:" + "0" * 64, "/hello"))
    assert out["status"] == 502
    assert out["error"].startswith("bundle_fetch_failed")
    assert inner_json(out)["error"] == "bundle_fetch_failed"


def test_storage_persists_across_requests_and_is_scoped(client, sample_bundle):
    tenant = unique_tenant()
    for expected in (1, 2, 3):
        body = execute_body(sample_bundle.content_hash, "/counter", method="POST", tenant=tenant)
        _, out = call(client, body, routing(tenant))
        assert inner_json(out)["value"] == expected
    other = unique_tenant()
    body = execute_body(sample_bundle.content_hash, "/counter", tenant=other)
    _, out = call(client, body, routing(other))
    assert inner_json(out)["value"] == 0


def test_stale_revision_conflicts(client, sample_bundle):
    tenant = unique_tenant()
    body = execute_body(sample_bundle.content_hash, "/counter", method="POST", tenant=tenant)
    call(client, body, routing(tenant))
    stale = execute_body(
        sample_bundle.content_hash,
        "/counter",
        method="POST",
        tenant=tenant,
        query={"revision": "0"},
    )
    _, out = call(client, stale, routing(tenant))
    assert out["status"] == 409 and inner_json(out)["error"] == "conflict"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (None, "JSON object"),
        ([], "'body'"),
        ({"http": {"method": "GET", "path": "/"}}, "'context'"),
        ({"context": {"tenant_id": "acme", "extension_id": "s"}, "http": {}}, "content_hash"),
    ],
)
def test_malformed_body_is_http_400(client, payload, fragment):
    if payload is None:
        resp = client.post("/v1/execute", data="not json", headers=routing())
    else:
        resp = client.post("/v1/execute", json=payload, headers=routing())
    assert resp.status_code == 400
    error = resp.get_json()
    assert error["error"] == "invalid_request" and fragment in error["message"]
    assert error["requestId"]


def test_bad_base64_and_limits(client, sample_bundle):
    body = execute_body(sample_bundle.content_hash, "/echo")
    body["http"]["body_b64"] = "***"
    resp = client.post("/v1/execute", json=body, headers=routing())
    assert resp.status_code == 400 and "body_b64" in resp.get_json()["message"]
    body = execute_body(sample_bundle.content_hash, "/echo", limits={"timeout_ms": -5})
    resp = client.post("/v1/execute", json=body, headers=routing())
    assert resp.status_code == 400 and "timeout_ms" in resp.get_json()["message"]


def test_wrong_method_and_unknown_route_are_json(client):
    resp = client.get("/v1/execute")
    assert resp.status_code == 405 and resp.get_json()["error"] == "method_not_allowed"
    resp = client.get("/nowhere")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
