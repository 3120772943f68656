"""Invocations for engine tests: a typical install, overridable per test."""

from __future__ import annotations

from runner.engine import Invocation


def invocation(url: str, method: str = "GET", **overrides) -> Invocation:
    fields = {
        "request_id": "req-1",
        "tenant_id": "acme",
        "extension_id": "sample",
        "install_id": "inst_1",
        "version_id": "1.0.0",
        "config": {"greeting": "Howdy"},
        "method": method,
        "url": url,
        "timeout_ms": 5_000,
    }
    fields.update(overrides)
    return Invocation(**fields)
