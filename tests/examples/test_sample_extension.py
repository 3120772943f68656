"""The sample extension's files agree with the runner and the gateway's URL layout.

Behaviour of the handler is tested through the engine (tests/runner/engine/) and in
a browser elsewhere; this checks the static contract: a manifest the runner accepts
whose capabilities the engine knows, and a UI that works under the ext-ui CSP
(no inline script, assets relative to index.html) with the element ids tests use.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from runner.bundles.manifest import load_manifest
from runner.engine import resolve_capabilities

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-extension"


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "link" and attributes.get("href"):
            self.links.append(attributes["href"])
        if any(name.startswith("on") for name in attributes):
            self.inline_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True


def test_manifest_is_valid_and_its_capabilities_are_known():
    manifest = load_manifest(SAMPLE / "manifest.json")
    assert manifest.name == "sample"
    assert resolve_capabilities(manifest.capabilities) >= {"cap:storage.kv"}
    assert (SAMPLE / manifest.ui_entry).is_file()


def test_ui_works_under_the_ext_ui_csp_with_stable_ids():
    page = Elements()
    page.feed((SAMPLE / "ui" / "index.html").read_text())
    assert {"hello-result", "counter-value", "counter-button", "error-message"} <= page.ids
    assert not page.inline_script, "script-src 'self' forbids inline scripts and handlers"
    assert [s["src"] for s in page.scripts] == ["app.js"]
    assert page.links == ["style.css"]
    for asset in ("app.js", "style.css"):
        assert (SAMPLE / "ui" / asset).is_file()


def test_ui_calls_its_own_api_on_the_gateway_origin():
    script = (SAMPLE / "ui" / "app.js").read_text()
    assert '"/api/ext/" + encodeURIComponent(extensionId)' in script
    assert "extensionId" in script and '"ext-ui"' in script
    assert not re.search(r"https?://", script), "no absolute URLs: same origin only"
