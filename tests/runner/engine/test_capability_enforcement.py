"""Capabilities seen from inside a real guest: denied variants, not traps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from runner.errors import SecretDecryptFailed, UnknownCapabilities
from tests.runner.engine.invocations import invocation
from tests.support.loopback import serve_http

pytestmark = pytest.mark.slow


def call(engine, host, component, url, method="GET", **overrides):
    response = engine.execute(
        component.content_hash, component.wasm, invocation(url, method, **overrides), host
    )
    return response.status, json.loads(response.body)


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"from the allowed upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_http(Hello) as base_url:
        yield f"{base_url}/data"


def test_storage_without_grant_is_denied_not_a_trap(engine, host, sample_component):
    status, body = call(engine, host, sample_component, "/counter", "POST", providers=[])
    assert (status, body) == (403, {"error": "denied"})


def test_secret_without_grant_is_denied(engine, host, sample_component):
    envelope = {"values": {"api-key": "s3cr3t"}}
    _, body = call(engine, host, sample_component, "/secret", secret_envelope=envelope)
    assert body == {"key": "api-key", "granted": False, "error": "denied"}


def test_secret_with_grant_is_readable_and_missing_keys_say_so(engine, host, sample_component):
    envelope = {"values": {"api-key": "s3cr3t"}}
    grant = {"providers": ["cap:secrets.get"], "secret_envelope": envelope}
    _, body = call(engine, host, sample_component, "/secret", **grant)
    assert body == {"key": "api-key", "granted": True, "length": 6}
    _, body = call(engine, host, sample_component, "/secret?key=other", **grant)
    assert body["error"] == "missing"


def test_unreadable_secret_envelope_fails_before_the_guest_runs(engine, host, sample_component):
    with pytest.raises(SecretDecryptFailed):
        call(engine, host, sample_component, "/hello", secret_envelope={"ciphertext": "x"})


def test_fetch_without_grant_is_not_allowed(engine, host, sample_component, upstream):
    _, body = call(
        engine, host, sample_component, f"/fetch?url={upstream}", allowed_hosts=["127.0.0.1"]
    )
    assert body["allowed"] is False and body["error"] == "not-allowed"


def test_fetch_to_a_host_outside_the_allow_list_is_not_allowed(
    engine, host, sample_component, upstream
):
    _, body = call(
        engine,
        host,
        sample_component,
        f"/fetch?url={upstream}",
        providers=["cap:http.fetch"],
        allowed_hosts=["api.example.com"],
    )
    assert body["error"] == "not-allowed"


def test_fetch_with_grant_and_allowed_host_reaches_upstream(
    engine, host, sample_component, upstream
):
    _, body = call(
        engine,
        host,
        sample_component,
        f"/fetch?url={upstream}",
        providers=["CAP:HTTP.FETCH"],
        allowed_hosts=["127.0.0.1"],
    )
    assert body == {
        "url": upstream,
        "allowed": True,
        "status": 200,
        "body": "from the allowed upstream",
    }


def test_unknown_capability_is_refused_before_instantiation(engine, host, sample_component):
    with pytest.raises(UnknownCapabilities) as info:
        call(engine, host, sample_component, "/hello", providers=["cap:storage.kv", "cap:nope"])
    assert info.value.status == 400
    assert str(info.value) == "cap:nope"
    assert engine.compiled_count() == 0
