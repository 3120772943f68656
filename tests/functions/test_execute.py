"""`execute` against a real loopback runner stand-in: contract, allowlists, limits."""

from __future__ import annotations

import base64
import json

import pytest

from tests.functions.conftest import CONTENT_HASH

TENANT = {"x-alga-tenant": "acme"}


def test_execute_sends_the_contract_body_and_routing_headers(make_client, runner) -> None:
    client = make_client("execute")
    response = client.post(
        "/api/ext/sample/items/7?limit=5&sort=asc",
        data=b'{"name":"x"}',
        headers=TENANT | {"content-type": "application/json", "x-request-id": "req-abc"},
    )
    assert response.status_code == 201
    call = runner.calls[-1]
    assert call.headers["x-request-id"] == "req-abc"
    assert call.headers["x-alga-tenant"] == "acme"
    assert call.headers["x-alga-extension"] == "sample"
    assert len(call.headers["x-idempotency-key"]) >= 16
    payload = call.payload
    assert payload["context"] == {
        "request_id": "req-abc",
        "tenant_id": "acme",
        "extension_id": "sample",
        "install_id": "inst_1",
        "content_hash": CONTENT_HASH,
        "version_id": "1.0.0",
        "config": {"greeting": "hi"},
    }
    assert payload["http"]["method"] == "POST"
    assert payload["http"]["path"] == "/items/7"
    assert payload["http"]["query"] == {"limit": "5", "sort": "asc"}
    assert base64.b64decode(payload["http"]["body_b64"]) == b'{"name":"x"}'
    assert payload["limits"] == {"timeout_ms": None, "memory_mb": None, "fuel": None}
    assert payload["providers"] == ["cap:storage.kv"]
    assert payload["secret_envelope"] is None and payload["user"] is None
    assert response.headers["x-request-id"] == "req-abc"
    assert response.get_json()["body"] == '{"name":"x"}'


def test_request_headers_are_forwarded_by_allowlist_only(make_client, runner) -> None:
    client = make_client("execute")
    client.get(
        "/api/ext/sample/hello",
        headers=TENANT
        | {
            "accept": "application/json",
            "user-agent": "probe/1",
            "authorization": "Bearer user-secret",
            "cookie": "sid=abc",
            "x-forwarded-for": "10.0.0.1",
            "x-custom": "nope",
            "x-alga-extension": "spoofed",
        },
    )
    forwarded = runner.calls[-1].payload["http"]["headers"]
    assert forwarded["accept"] == "application/json"
    assert forwarded["user-agent"] == "probe/1"
    assert forwarded["x-alga-extension"] == "sample"
    assert forwarded["x-alga-tenant"] == "acme"
    assert set(forwarded) <= {
        "accept", "content-type", "accept-encoding", "user-agent", "x-request-id",
        "x-idempotency-key", "x-alga-tenant", "x-alga-extension",
    }  # fmt: skip
    wire = runner.calls[-1].headers
    assert "authorization" not in wire and "cookie" not in wire
    assert wire["x-alga-extension"] == "sample"


def test_response_headers_are_kept_by_allowlist_only(make_client) -> None:
    response = make_client("execute").get("/api/ext/sample/hello", headers=TENANT)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-ext-warning"] == "stand-in"
    assert response.headers["x-ext-request-id"] == response.headers["x-request-id"]
    assert "set-cookie" not in response.headers
    assert "x-internal-debug" not in response.headers


def test_extension_status_headers_and_decoded_body_reach_the_client(make_client, runner) -> None:
    runner.envelope = {
        "status": 418,
        "headers": {"content-type": "text/plain", "cache-control": "no-store"},
        "body_b64": base64.b64encode(b"short and stout").decode(),
        "error": None,
    }
    response = make_client("execute").get("/api/ext/sample/teapot", headers=TENANT)
    assert response.status_code == 418
    assert response.data == b"short and stout"
    assert response.headers["cache-control"] == "no-store"


def test_get_has_no_body_and_no_generated_idempotency_key(make_client, runner) -> None:
    make_client("execute").get("/api/ext/sample/hello", headers=TENANT)
    call = runner.calls[-1]
    assert call.payload["http"]["body_b64"] is None
    assert "x-idempotency-key" not in call.headers


def test_client_idempotency_key_and_request_id_are_propagated(make_client, runner) -> None:
    headers = TENANT | {"x-idempotency-key": "order-42", "x-request-id": "r-1"}
    make_client("execute").put("/api/ext/sample/x", data=b"1", headers=headers)
    assert runner.calls[-1].headers["x-idempotency-key"] == "order-42"
    assert runner.calls[-1].payload["http"]["headers"]["x-idempotency-key"] == "order-42"


def test_malformed_request_id_is_replaced(make_client, runner) -> None:
    response = make_client("execute").get(
        "/api/ext/sample/x", headers=TENANT | {"x-request-id": "bad id with spaces"}
    )
    generated = response.headers["x-request-id"]
    assert generated != "bad id with spaces" and len(generated) == 32
    assert runner.calls[-1].headers["x-request-id"] == generated


def test_route_is_found_under_any_mount_prefix(make_client, runner) -> None:
    response = make_client("execute").get("/emulator/api/ext/sample/deep/path", headers=TENANT)
    assert response.status_code == 201
    assert runner.calls[-1].payload["http"]["path"] == "/deep/path"


def test_extension_root_path_defaults_to_slash(make_client, runner) -> None:
    make_client("execute").get("/api/ext/sample", headers=TENANT)
    assert runner.calls[-1].payload["http"]["path"] == "/"


@pytest.mark.parametrize("backend", ["knative", "docker"])
def test_service_token_is_sent_identically_by_both_backends(make_client, runner, backend) -> None:
    runner.expected_token = "svc-token-1"
    env = {"RUNNER_BACKEND": backend, "RUNNER_SERVICE_TOKEN": "svc-token-1"}
    if backend == "docker":
        env["RUNNER_DOCKER_HOST"] = runner.url
    response = make_client("execute", **env).get("/api/ext/sample/hello", headers=TENANT)
    assert response.status_code == 201
    assert runner.calls[-1].headers["x-runner-service-token"] == "svc-token-1"
    assert "x-runner-service-token" not in runner.calls[-1].payload["http"]["headers"]


def test_wrong_service_token_is_a_502_without_the_runner_text(make_client, runner) -> None:
    runner.expected_token = "the-right-one"
    client = make_client("execute", RUNNER_SERVICE_TOKEN="the-wrong-one")
    response = client.get("/api/ext/sample/hello", headers=TENANT)
    assert response.status_code == 502
    body = response.get_json()
    assert body["error"] == "runner_auth_rejected"
    assert "service token" not in json.dumps(body)


def test_unknown_install_is_404_not_installed(make_client, runner) -> None:
    response = make_client("execute").get("/api/ext/other/hello", headers=TENANT)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_installed"
    assert runner.calls == []


def test_other_tenant_does_not_see_the_install(make_client) -> None:
    response = make_client("execute").get("/api/ext/sample/x", headers={"x-alga-tenant": "evil"})
    assert (response.status_code, response.get_json()["error"]) == (404, "not_installed")


def test_missing_tenant_is_401_and_dev_tenant_fills_in(make_client) -> None:
    response = make_client("execute").get("/api/ext/sample/x")
    assert (response.status_code, response.get_json()["error"]) == (401, "tenant_required")
    response = make_client("execute", EXT_DEV_TENANT="acme").get("/api/ext/sample/x")
    assert response.status_code == 201


def test_tenant_header_name_is_configurable(make_client, runner) -> None:
    client = make_client("execute", EXT_TENANT_HEADER="x-tenant-id")
    response = client.get("/api/ext/sample/x", headers={"x-tenant-id": "acme"})
    assert response.status_code == 201
    assert runner.calls[-1].headers["x-alga-tenant"] == "acme"


def test_body_over_the_limit_is_413_by_declared_length(make_client, runner) -> None:
    client = make_client("execute", EXT_GATEWAY_MAX_BODY_BYTES="1024")
    response = client.post("/api/ext/sample/upload", data=b"x" * 1025, headers=TENANT)
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert runner.calls == []
    assert (
        client.post("/api/ext/sample/upload", data=b"x" * 1024, headers=TENANT).status_code == 201
    )


def test_unsupported_method_is_405_json(make_client) -> None:
    response = make_client("execute").open("/api/ext/sample/x", method="TRACE", headers=TENANT)
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_input_is_400(make_client, runner) -> None:
    client = make_client("execute")
    response = client.get("/api/ext/bad$ext/x", headers=TENANT)
    assert (response.status_code, response.get_json()["error"]) == (400, "bad_request")
    response = client.post(
        "/api/ext/sample/x", data=b"1", headers=TENANT | {"x-idempotency-key": "has space"}
    )
    assert response.get_json()["error"] == "invalid_idempotency_key"
    assert runner.calls == []


def test_unknown_route_is_404_json(make_client) -> None:
    response = make_client("execute").get("/somewhere/else", headers=TENANT)
    body = response.get_json()
    assert response.status_code == 404
    assert body["error"] == "not_found" and body["requestId"] == response.headers["x-request-id"]


def test_head_returns_headers_without_body(make_client) -> None:
    response = make_client("execute").head("/api/ext/sample/x", headers=TENANT)
    assert response.status_code == 201
    assert response.data == b""
