"""Outbound fetch against a real loopback server: allow-list, redirects, limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from runner.host.errors import HostCallError
from runner.host.http_fetch import OutboundHttp, host_allowed
from tests.support.loopback import serve_http


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://evil.invalid/")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.0)
        body = f"hello {self.path} {self.headers.get('x-probe')}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the /slow caller gave up, as intended

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_http(Handler) as base_url:
        yield base_url


@pytest.mark.parametrize(
    ("host", "port", "allowed", "expected"),
    [
        ("api.example.com", 443, ["api.example.com:443"], True),
        ("api.example.com", 8443, ["api.example.com:443"], False),
        ("a.example.com", 8443, ["*.example.com:8443"], True),
        ("api.example.com", 8443, ["api.example.com"], True),
    ],
)
def test_host_allow_list_with_ports(host, port, allowed, expected):
    assert host_allowed(host, allowed, port) is expected


@pytest.mark.parametrize(
    ("host", "allowed", "expected"),
    [
        ("api.example.com", ["api.example.com"], True),
        ("API.Example.com", ["api.example.com"], True),
        ("a.api.example.com", ["api.example.com"], False),
        ("a.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("badexample.com", ["*.example.com"], False),
        ("example.com.evil.net", ["example.com"], False),
        ("anything", [], False),
    ],
)
def test_host_allow_list(host, allowed, expected):
    assert host_allowed(host, allowed) is expected


def test_allowed_host_is_fetched_with_headers(server):
    response = OutboundHttp().fetch("GET", f"{server}/x", [("x-probe", "42")], None, ["127.0.0.1"])
    assert response.status == 200
    assert response.body == b"hello /x 42"
    assert ("content-type", "text/plain") in response.headers


def test_allow_list_port_must_match(server):
    port = int(server.rsplit(":", 1)[1])
    fetch = OutboundHttp().fetch
    assert fetch("GET", f"{server}/p", [], None, [f"127.0.0.1:{port}"]).status == 200
    with pytest.raises(HostCallError) as info:
        fetch("GET", f"{server}/p", [], None, [f"127.0.0.1:{port + 1}"])
    assert info.value.case == "not-allowed"


def test_host_not_in_allow_list_is_not_allowed(server):
    with pytest.raises(HostCallError) as info:
        OutboundHttp().fetch("GET", f"{server}/x", [], None, ["api.example.com"])
    assert info.value.case == "not-allowed"


def test_redirects_are_returned_not_followed(server):
    response = OutboundHttp().fetch("GET", f"{server}/redirect", [], None, ["127.0.0.1"])
    assert response.status == 302
    assert dict(response.headers)["location"] == "http://evil.invalid/"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "/relative", "ftp://127.0.0.1/"])
def test_non_http_urls_are_invalid(url):
    with pytest.raises(HostCallError) as info:
        OutboundHttp().fetch("GET", url, [], None, ["127.0.0.1"])
    assert info.value.case == "invalid-url"


def test_deadline_bounds_the_call(server):
    with pytest.raises(HostCallError) as info:
        OutboundHttp(timeout_s=10).fetch(
            "GET", f"{server}/slow", [], None, ["127.0.0.1"], deadline_s=0.2
        )
    assert info.value.case == "timeout"


def test_connection_failure_is_transport():
    with pytest.raises(HostCallError) as info:
        OutboundHttp(timeout_s=2).fetch("GET", "http://127.0.0.1:9/", [], None, ["127.0.0.1"])
    assert info.value.case == "transport"
