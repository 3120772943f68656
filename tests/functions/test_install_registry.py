"""Install registries: the JSON file (reloaded on change) and HTTP (TTL cache)."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler

import pytest

from functions.errors import NotInstalled, RegistryUnavailable
from functions.install_registry import FileInstallRegistry, HttpInstallRegistry, Install
from tests.functions.conftest import CONTENT_HASH, install_record
from tests.support.loopback import serve_http


def test_file_registry_reads_and_reloads_on_change(tmp_path) -> None:
    path = tmp_path / "installs.json"
    registry = FileInstallRegistry(path)
    with pytest.raises(NotInstalled):
        registry.lookup("acme", "sample")  # no file yet: nothing installed
    path.write_text(json.dumps({"installs": [install_record()]}))
    install = registry.lookup("acme", "sample")
    assert install.content_hash == CONTENT_HASH
    assert install.config == {"greeting": "hi"}
    assert install.providers == ("cap:storage.kv",)
    updated = install_record(version_id="2.0.0", config={"greeting": "hello again"})
    path.write_text(json.dumps({"installs": [updated]}))
    os.utime(path, ns=(1, 1))  # a distinct mtime even on coarse clocks
    assert registry.lookup("acme", "sample").version_id == "2.0.0"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (install_record(content_hash="sha256:xyz"), "content_hash"),
        (install_record(config={"n": 1}), "config"),
        (install_record(providers="cap:storage.kv"), "providers"),
        (install_record(install_id=""), "install_id"),
        (install_record(limits={"cpu": 1}), "limits"),
        (install_record(limits={"timeout_ms": True}), "limits"),
        (install_record(limits={"memory_mb": 0}), "limits"),
        (install_record(limits={"fuel": -1}), "limits"),
        (install_record(limits={"timeout_ms": 1.5}), "limits"),
    ],
)
def test_invalid_records_are_rejected_with_the_field(record, field) -> None:
    with pytest.raises(ValueError, match=field):
        Install.from_record(record)


def test_positive_int_limits_are_kept() -> None:
    limits = {"timeout_ms": 1500, "memory_mb": 64, "fuel": 1}
    assert Install.from_record(install_record(limits=limits)).limits == limits


def test_malformed_file_is_registry_unavailable(tmp_path) -> None:
    path = tmp_path / "installs.json"
    path.write_text("{not json")
    with pytest.raises(RegistryUnavailable):
        FileInstallRegistry(path).lookup("acme", "sample")


class _Registry(BaseHTTPRequestHandler):
    hits: list[str] = []
    status = 200

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/installs/acme/sample" and type(self).status == 200:
            body, status = json.dumps(install_record()).encode(), 200
        else:
            body, status = (
                b'{"error":"not_found"}',
                type(self).status if type(self).status != 200 else 404,
            )
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        return None


@pytest.fixture
def registry_server():
    _Registry.hits, _Registry.status = [], 200
    with serve_http(_Registry) as base_url:
        yield base_url


def test_http_registry_caches_hits_and_misses(registry_server) -> None:
    registry = HttpInstallRegistry(registry_server, ttl_s=60, timeout_s=2)
    assert registry.lookup("acme", "sample").install_id == "inst_1"
    assert registry.lookup("acme", "sample").install_id == "inst_1"
    for _ in range(2):
        with pytest.raises(NotInstalled):
            registry.lookup("acme", "other")
    assert _Registry.hits == ["/installs/acme/sample", "/installs/acme/other"]
    registry.close()


def test_http_registry_cache_never_exceeds_its_bound(registry_server) -> None:
    """Client-chosen extension ids (all misses) must not grow the cache without limit."""
    registry = HttpInstallRegistry(registry_server, ttl_s=60, timeout_s=2, max_entries=3)
    registry.lookup("acme", "sample")
    for n in range(20):
        with pytest.raises(NotInstalled):
            registry.lookup("acme", f"probe-{n}")
        assert len(registry._cache) <= 3
    registry.lookup("acme", "sample")  # the oldest answer was evicted: asked again
    assert _Registry.hits.count("/installs/acme/sample") == 2
    registry.close()


def test_http_registry_ttl_zero_asks_every_time(registry_server) -> None:
    registry = HttpInstallRegistry(registry_server, ttl_s=0, timeout_s=2)
    registry.lookup("acme", "sample")
    registry.lookup("acme", "sample")
    assert len(_Registry.hits) == 2


def test_http_registry_errors_are_registry_unavailable(registry_server) -> None:
    _Registry.status = 500
    with pytest.raises(RegistryUnavailable):
        HttpInstallRegistry(registry_server, ttl_s=0, timeout_s=2).lookup("acme", "sample")
    with pytest.raises(RegistryUnavailable):
        HttpInstallRegistry("http://127.0.0.1:9", ttl_s=0, timeout_s=2).lookup("acme", "x")


def test_execute_uses_the_http_registry(make_client, runner, registry_server) -> None:
    client = make_client("execute", REGISTRY_BASE_URL=registry_server)
    response = client.get("/api/ext/sample/x", headers={"x-alga-tenant": "acme"})
    assert response.status_code == 201
    assert runner.calls[-1].payload["context"]["install_id"] == "inst_1"
