"""Capability names: lower-cased, defaults always granted, unknown names refused."""

from __future__ import annotations

import pytest

from runner.engine import DEFAULT_CAPABILITIES, resolve_capabilities
from runner.errors import UnknownCapabilities


def test_defaults_are_always_granted():
    assert resolve_capabilities([]) == DEFAULT_CAPABILITIES
    assert {"cap:context.read", "cap:log.emit"} <= resolve_capabilities(["cap:storage.kv"])


def test_names_are_case_insensitive_and_trimmed():
    granted = resolve_capabilities([" CAP:Storage.KV ", "cap:HTTP.fetch"])
    assert {"cap:storage.kv", "cap:http.fetch"} <= granted


def test_unknown_names_are_listed_in_a_400():
    with pytest.raises(UnknownCapabilities) as info:
        resolve_capabilities(["cap:storage.kv", "cap:root.shell", "cap:Files.write"])
    assert info.value.status == 400
    assert info.value.code == "unknown_capabilities"
    assert str(info.value) == "cap:files.write, cap:root.shell"
