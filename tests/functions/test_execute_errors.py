"""Every runner failure maps to one stable JSON error; nothing internal leaks."""

from __future__ import annotations

import json

import pytest

from functions.execute_core import ExecuteCall, run_execute
from functions.gateway import get_gateway
from tests.functions.conftest import install_record
from tests.support.runner_standin import INNER_ERROR

TENANT = {"x-alga-tenant": "acme"}


def _assert_clean_error(response, status: int, code: str, runner_url: str) -> dict:
    body = response.get_json()
    assert response.status_code == status
    assert set(body) == {"error", "message", "requestId"}
    assert body["error"] == code
    assert body["requestId"] == response.headers["x-request-id"]
    text = json.dumps(body)
    for leak in (runner_url, "127.0.0.1", "Traceback", "internal", "token", "s3cr3t"):
        assert leak not in text
    return body


def test_stopped_runner_is_502_runner_unreachable(make_client, runner) -> None:
    client = make_client("execute")
    assert client.get("/api/ext/sample/x", headers=TENANT).status_code == 201
    runner.stop()
    response = client.get("/api/ext/sample/x", headers=TENANT)
    _assert_clean_error(response, 502, "runner_unreachable", runner.url)


def test_slow_runner_is_504_runner_timeout(make_client, runner) -> None:
    runner.delay_s = 2.0
    client = make_client("execute", EXT_GATEWAY_TIMEOUT_MS="300")
    response = client.post("/api/ext/sample/x", data=b"{}", headers=TENANT)
    _assert_clean_error(response, 504, "runner_timeout", runner.url)


@pytest.mark.parametrize("mode", ["garbage", "not_json", "bad_envelope"])
def test_garbage_from_runner_is_502_invalid_response(make_client, runner, mode) -> None:
    runner.mode = mode
    response = make_client("execute").get("/api/ext/sample/x", headers=TENANT)
    _assert_clean_error(response, 502, "runner_invalid_response", runner.url)


def test_inner_runner_error_keeps_status_and_stable_code_only(make_client, runner) -> None:
    runner.mode = "inner_error"
    response = make_client("execute").get("/api/ext/sample/x", headers=TENANT)
    body = _assert_clean_error(response, 502, "bundle_fetch_failed", runner.url)
    assert INNER_ERROR.split(":", 1)[1].strip() not in body["message"]


def test_inner_timeout_passes_through_as_504(make_client, runner) -> None:
    runner.envelope = {"status": 504, "headers": {}, "body_b64": None, "error": "execute_timeout"}
    response = make_client("execute").get("/api/ext/sample/x", headers=TENANT)
    _assert_clean_error(response, 504, "execute_timeout", runner.url)


def test_unstable_error_text_becomes_runner_error(make_client, runner) -> None:
    runner.envelope = {"status": 500, "headers": {}, "body_b64": None, "error": "Boom at /srv/x"}
    response = make_client("execute").get("/api/ext/sample/x", headers=TENANT)
    _assert_clean_error(response, 500, "runner_error", runner.url)


def test_unroutable_runner_url_is_502(make_client) -> None:
    client = make_client("execute", RUNNER_BASE_URL="http://127.0.0.1:9")
    response = client.get("/api/ext/sample/x", headers=TENANT)
    _assert_clean_error(response, 502, "runner_unreachable", "127.0.0.1:9")


def test_broken_registry_file_is_502_registry_unavailable(make_client, registry_file) -> None:
    registry_file.write_text(json.dumps({"installs": [install_record(content_hash="md5:1")]}))
    response = make_client("execute").get("/api/ext/sample/x", headers=TENANT)
    body = response.get_json()
    assert (response.status_code, body["error"]) == (502, "registry_unavailable")
    assert str(registry_file) not in body["message"]


def test_core_runs_without_flask(make_client, runner) -> None:
    make_client("execute")
    call = ExecuteCall(
        tenant_id="acme",
        extension_id="sample",
        method="post",
        path="/events",
        query={},
        headers={"content-type": "application/json", "authorization": "Bearer x"},
        body=b'{"a":1}',
        request_id="evt-1",
    )
    outcome = run_execute(call, get_gateway())
    assert outcome.status == 201
    assert outcome.headers["x-request-id"] == "evt-1"
    assert json.loads(outcome.body)["method"] == "POST"
    assert "authorization" not in runner.calls[-1].payload["http"]["headers"]
