"""Engine tests use real components built from examples/ and tests/extensions/."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from runner.engine import Invocation
from runner.host import HostServices
from tests.support.components import (  # noqa: F401 - fixtures
    engine,
    misbehaving_component,
    sample_component,
    warm_engine_cache,
)


@pytest.fixture
def host(tmp_path) -> Iterator[HostServices]:
    services = HostServices(tmp_path / "data", logger=logging.getLogger("test.guest"))
    yield services
    services.close()


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
