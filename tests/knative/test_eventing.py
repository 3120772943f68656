"""Knative Eventing end to end: broker stand-in -> execute_event (gunicorn) -> runner.

The execute_event target runs as the image's real server process; the broker
stand-in (tests/support/broker_standin.py) delivers like the default Broker. The
server runs one worker so the replay store it tests is the one every delivery sees
(with several workers or pods, the runner's idempotency key is the second line).
"""

from __future__ import annotations

import base64
import json

import pytest
from cloudevents.http import CloudEvent

from functions.event_types import REQUEST_TYPE, RESULT_TYPE
from tests.knative.serving_harness import GunicornProcess, knative_env
from tests.support.broker_standin import BrokerStandIn, EventSink
from tests.support.loopback import free_port
from tests.support.runner_standin import RunnerStandIn

GOOD = {"tenant": "acme", "extension": "sample", "method": "POST", "path": "/orders",
        "body": "{\"n\": 1}", "headers": {"content-type": "application/json"}}  # fmt: skip


@pytest.fixture
def execute_event(runner_standin, registry_file, tmp_path):
    env = knative_env("execute_event", free_port()) | {
        "RUNNER_BASE_URL": runner_standin.url,
        "INSTALL_REGISTRY_FILE": str(registry_file),
        "EXT_GATEWAY_TIMEOUT_MS": "5000",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }
    server = GunicornProcess(env, tmp_path / "execute_event.log")
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture
def results():
    with EventSink() as sink:
        yield sink


def make_broker(execute_event, results, **policy) -> BrokerStandIn:
    broker = BrokerStandIn(**policy)
    broker.add_trigger("execute-requests", execute_event.url + "/", type=REQUEST_TYPE)
    broker.add_trigger("execute-results", results.url, type=RESULT_TYPE)
    return broker


def request(id: str, data=None) -> CloudEvent:
    return CloudEvent({"type": REQUEST_TYPE, "source": "/tests/scheduler", "id": id,
                       "datacontenttype": "application/json"}, data or GOOD)  # fmt: skip


def test_execute_succeeds_and_the_reply_is_routed_back(execute_event, runner_standin, results):
    with make_broker(execute_event, results) as broker:
        broker.publish(request("ok-1"))
        assert broker.wait_until(lambda: len(results.events) == 1)
    (reply,) = results.events
    assert reply["causeid"] == "ok-1" and reply["causesource"] == "/tests/scheduler"
    assert reply.data["status"] == 201
    echoed = json.loads(base64.b64decode(reply.data["body_b64"]))
    assert echoed["path"] == "/orders" and echoed["body"] == '{"n": 1}'
    assert [a.status for a in broker.attempts_for("execute-requests", "ok-1")] == [200]
    assert len(runner_standin.calls) == 1


def test_retried_through_a_runner_outage_then_succeeds(execute_event, runner_standin, results):
    port = runner_standin.port
    runner_standin.stop()
    revived = []
    with make_broker(execute_event, results, retry=6, backoff_delay_s=0.1) as broker:
        broker.publish(request("outage-1"))
        assert broker.wait_until(
            lambda: len(broker.attempts_for("execute-requests", "outage-1")) >= 2
        )
        revived.append(RunnerStandIn(port=port).start())
        assert broker.wait_until(lambda: len(results.events) == 1, timeout_s=30)
    statuses = [a.status for a in broker.attempts_for("execute-requests", "outage-1")]
    assert statuses[0] == 502 and statuses[-1] == 200, statuses
    assert broker.dead_letters == []
    assert len(revived[0].calls) == 1
    revived[0].stop()


def test_redelivered_event_is_not_executed_twice(execute_event, runner_standin, results):
    with make_broker(execute_event, results) as broker:
        broker.publish(request("dup-1"))
        assert broker.wait_until(lambda: len(results.events) == 1)
        broker.publish(request("dup-1"))  # at-least-once: the same source + id again
        assert broker.wait_until(lambda: len(results.events) == 2)
    assert len(runner_standin.calls) == 1
    first, second = results.events
    assert first["id"] == second["id"] and first.data == second.data


def test_permanently_bad_event_is_dead_lettered_without_retry(
    execute_event, runner_standin, results
):
    bad = request("bad-1", {"extension": "sample"})  # no tenant
    unknown = request("unknown-1", {**GOOD, "extension": "not-installed"})
    with make_broker(execute_event, results, retry=4) as broker:
        broker.publish(bad)
        broker.publish(unknown)
        assert broker.wait_until(lambda: len(broker.dead_letters) == 2)
    by_id = {e["id"]: e for e in broker.dead_letters}
    assert by_id["bad-1"]["knativeerrorcode"] == "400"
    assert by_id["unknown-1"]["knativeerrorcode"] == "422"
    error = json.loads(base64.b64decode(by_id["bad-1"]["knativeerrordata"]))
    assert error["error"] == "invalid_event_data" and error["requestId"]
    for id in ("bad-1", "unknown-1"):
        assert len(broker.attempts_for("execute-requests", id)) == 1
    assert runner_standin.calls == [] and results.events == []


def test_exhausted_retries_end_in_the_dead_letter_sink(execute_event, runner_standin, results):
    runner_standin.stop()
    with make_broker(execute_event, results, retry=2, backoff_delay_s=0.05) as broker:
        broker.publish(request("down-1"))
        assert broker.wait_until(lambda: len(broker.dead_letters) == 1)
    assert [a.status for a in broker.attempts_for("execute-requests", "down-1")] == [502] * 3
    assert broker.dead_letters[0]["knativeerrorcode"] == "502"
