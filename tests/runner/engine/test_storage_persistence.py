"""The sample's counter: persisted per tenant, across requests and runner restarts."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from runner.engine import Engine
from runner.host import HostServices
from tests.runner.engine.invocations import invocation

pytestmark = pytest.mark.slow
STORAGE = ["cap:storage.kv"]


def counter(engine, host, component, method="GET", url="/counter", **overrides):
    response = engine.execute(
        component.content_hash,
        component.wasm,
        invocation(url, method, providers=STORAGE, **overrides),
        host,
    )
    return response.status, json.loads(response.body)


def test_counter_persists_across_requests(engine, host, sample_component):
    assert counter(engine, host, sample_component) == (200, {"value": 0, "revision": 0})
    for expected in (1, 2, 3):
        status, body = counter(engine, host, sample_component, "POST")
        assert (status, body["value"], body["revision"]) == (200, expected, expected)
    assert counter(engine, host, sample_component) == (200, {"value": 3, "revision": 3})


def test_counter_survives_a_runner_restart(warm_engine_cache, sample_component, tmp_path):
    data = tmp_path / "runner-data"
    for expected in (1, 2):
        engine = Engine(warm_engine_cache.path)
        host = HostServices(data, logger=logging.getLogger("test.guest"))
        try:
            counter(engine, host, sample_component, "POST")
            assert counter(engine, host, sample_component)[1]["value"] == expected
        finally:
            host.close()
            engine.close()


def test_stale_revision_is_a_conflict(engine, host, sample_component):
    counter(engine, host, sample_component, "POST")
    counter(engine, host, sample_component, "POST")
    status, body = counter(engine, host, sample_component, "POST", "/counter?revision=1")
    assert (status, body) == (409, {"error": "conflict", "currentRevision": 2})
    assert counter(engine, host, sample_component)[1]["value"] == 2


def test_tenants_and_extensions_have_separate_counters(engine, host, sample_component):
    counter(engine, host, sample_component, "POST")
    assert counter(engine, host, sample_component, tenant_id="globex")[1]["value"] == 0
    assert counter(engine, host, sample_component, extension_id="other")[1]["value"] == 0
    assert counter(engine, host, sample_component)[1]["value"] == 1


def test_concurrent_increments_never_lose_an_update(engine, host, sample_component):
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(8):
            status, _ = counter(engine, host, sample_component, "POST")
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {200, 409}
    value = counter(engine, host, sample_component)[1]["value"]
    assert value == statuses.count(200), "every 200 is exactly one stored increment"
