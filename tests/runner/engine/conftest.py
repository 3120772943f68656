"""Engine tests use real components built from examples/ and tests/extensions/.

The component fixtures themselves come from tests/runner/conftest.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from runner.host import HostServices
from tests.support.components import engine, warm_engine_cache  # noqa: F401 - fixtures


@pytest.fixture
def host(tmp_path) -> Iterator[HostServices]:
    services = HostServices(tmp_path / "data", logger=logging.getLogger("test.guest"))
    yield services
    services.close()
