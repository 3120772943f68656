"""Manifest validation: good manifests load, each bad field is named in the error."""

import json

import pytest

from runner.bundles import ManifestError, parse_manifest

GOOD = {
    "name": "sample",
    "publisher": "extgate",
    "version": "1.0.0",
    "runtime": "wasm-component/v1",
    "capabilities": ["cap:storage.kv", "CAP:Log.Emit"],
    "http": {"allowedHosts": ["api.example.com", "*.example.org"]},
    "ui": {"type": "iframe", "entry": "ui/index.html"},
    "api": {"endpoints": [{"method": "get", "path": "/hello"}]},
}


def test_good_manifest_is_normalised():
    manifest = parse_manifest(json.dumps(GOOD))
    assert manifest.capabilities == ("cap:storage.kv", "cap:log.emit")
    assert manifest.allowed_hosts == ("api.example.com", "*.example.org")
    assert manifest.endpoints[0].method == "GET"
    assert manifest.ui_entry == "ui/index.html"


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"name": "Bad Name"}, "'name'"),
        ({"runtime": "wasm/v0"}, "'runtime'"),
        ({"version": ""}, "'version'"),
        ({"capabilities": "cap:storage.kv"}, "'capabilities'"),
        ({"capabilities": ["storage"]}, "cap:name"),
        ({"http": {"allowedHosts": ["http://x/"]}}, "allowedHosts"),
        ({"ui": {"type": "iframe", "entry": "../index.html"}}, "ui.entry"),
        ({"api": {"endpoints": [{"method": "FETCH", "path": "/x"}]}}, "method"),
        ({"api": {"endpoints": [{"method": "GET", "path": "x"}]}}, "path"),
    ],
)
def test_bad_field_is_named(patch, fragment):
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps({**GOOD, **patch}))
    assert fragment in info.value.message


def test_not_json():
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse_manifest(b"{nope")
