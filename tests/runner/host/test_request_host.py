"""RequestHost: every import checks its capability and keeps to its scope."""

from __future__ import annotations

import logging

import pytest

from runner.engine import Invocation, resolve_capabilities
from runner.errors import SecretDecryptFailed
from runner.host import HostCallError, HostServices


@pytest.fixture
def services(tmp_path):
    host = HostServices(tmp_path, logger=logging.getLogger("test.guest.rh"))
    yield host
    host.close()


def open_request(services, providers=(), **overrides):
    fields = {
        "request_id": "r1",
        "tenant_id": "acme",
        "extension_id": "sample",
        "config": {"b": "2", "a": "1"},
        "secret_envelope": {"values": {"api-key": "k"}},
    }
    fields.update(overrides)
    invocation = Invocation(providers=providers, **fields)
    return services.open_request(invocation, resolve_capabilities(providers))


@pytest.mark.parametrize(
    ("call", "denied_case"),
    [
        (lambda h: h.secrets_get("api-key"), "denied"),
        (lambda h: h.secrets_list_keys(), "denied"),
        (lambda h: h.storage_get("ns", "k"), "denied"),
        (lambda h: h.storage_put("ns", "k", b"v", None), "denied"),
        (lambda h: h.storage_delete("ns", "k"), "denied"),
        (lambda h: h.storage_list("ns", ""), "denied"),
        (lambda h: h.http_fetch("GET", "https://example.com/", [], None), "not-allowed"),
        (lambda h: h.ui_call_route("/x", None), "not-allowed"),
    ],
)
def test_every_import_without_its_grant_returns_the_denied_case(services, call, denied_case):
    with pytest.raises(HostCallError) as info:
        call(open_request(services))
    assert info.value.case == denied_case


def test_context_and_config_need_no_grant(services):
    host = open_request(services)
    assert host.get_context().tenant_id == "acme"
    assert host.get_config() == [("a", "1"), ("b", "2")]


def test_granted_imports_work(services):
    host = open_request(services, ["cap:secrets.get", "cap:storage.kv"])
    assert host.secrets_get("api-key") == "k"
    assert host.secrets_list_keys() == ["api-key"]
    assert host.storage_put("ns", "k", b"v", None).revision == 1
    assert [e.key for e in host.storage_list("ns", "")] == ["k"]


def test_ui_proxy_granted_says_unsupported(services):
    with pytest.raises(HostCallError) as info:
        open_request(services, ["cap:ui.proxy"]).ui_call_route("/x", None)
    assert info.value.case == "unsupported"


def test_storage_scope_comes_from_the_request_not_the_guest(services):
    acme = open_request(services, ["cap:storage.kv"])
    globex = open_request(services, ["cap:storage.kv"], tenant_id="globex")
    acme.storage_put("ns", "k", b"acme", None)
    with pytest.raises(HostCallError) as info:
        globex.storage_get("ns", "k")
    assert info.value.case == "not-found"


def test_unreadable_envelope_is_refused_when_the_request_opens(services):
    with pytest.raises(SecretDecryptFailed):
        open_request(services, secret_envelope={"sealed": "x"})
