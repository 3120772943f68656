"""Engine tests use real components built from examples/ and tests/extensions/."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

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
