"""The real sample component through the engine: routes, context, config, logging."""

from __future__ import annotations

import json
import logging

import pytest

from runner.engine import GuestResponse
from tests.runner.engine.invocations import invocation

pytestmark = pytest.mark.slow


def run(engine, host, component, url, method="GET", **overrides) -> GuestResponse:
    return engine.execute(
        component.content_hash, component.wasm, invocation(url, method, **overrides), host
    )


def body_json(response: GuestResponse) -> dict:
    assert ("content-type", "application/json") in response.headers
    return json.loads(response.body)


def test_hello_uses_context_and_install_config(engine, host, sample_component):
    response = run(engine, host, sample_component, "/hello?name=Ada", request_id="req-77")
    assert response.status == 200
    assert body_json(response) == {
        "message": "Howdy, Ada!",
        "greeting": "Howdy",
        "tenant": "acme",
        "extension": "sample",
        "requestId": "req-77",
    }


def test_echo_returns_method_path_query_and_body(engine, host, sample_component):
    response = run(
        engine,
        host,
        sample_component,
        "/echo?a=1&b=two",
        "POST",
        headers=[("content-type", "text/plain")],
        body="héllo".encode(),
    )
    assert body_json(response) == {
        "method": "POST",
        "path": "/echo",
        "query": {"a": "1", "b": "two"},
        "body": "héllo",
        "contentType": "text/plain",
    }


def test_unknown_route_is_a_json_404(engine, host, sample_component):
    response = run(engine, host, sample_component, "/does-not-exist")
    assert response.status == 404
    assert body_json(response)["error"] == "not_found"


def test_guest_log_lines_reach_the_runner_log_with_context(engine, host, sample_component, caplog):
    caplog.set_level(logging.INFO, logger="test.guest")
    run(engine, host, sample_component, "/hello?name=Log", request_id="req-log")
    lines = [
        {
            "message": r.getMessage(),
            "level": r.levelname,
            **{k: getattr(r, k) for k in ("source", "request_id", "tenant_id", "extension_id")},
        }
        for r in caplog.records
        if r.name == "test.guest"
    ]
    assert {
        "message": "hello for Log",
        "level": "INFO",
        "source": "guest",
        "request_id": "req-log",
        "tenant_id": "acme",
        "extension_id": "sample",
    } in lines


def test_engine_reports_what_it_holds(engine, sample_component):
    assert not engine.is_compiled(sample_component.content_hash)
    engine.prepare(sample_component.content_hash, sample_component.wasm)
    assert engine.is_compiled(sample_component.content_hash)
    assert engine.compiled_count() == 1
