"""execute_event: the CloudEvents entry point, over a real loopback runner stand-in.

Every case runs in both content modes. Replies are parsed back with the SDK, so a
reply that is not a valid binary-mode CloudEvent fails the test.
"""

from __future__ import annotations

import base64
import json

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent, from_http

from functions.event_types import REQUEST_TYPE, RESULT_TYPE

MODES = {"binary": to_binary, "structured": to_structured}


def request_event(data, *, id="evt-1", source="/tests/producer", type=REQUEST_TYPE, **extra):
    attributes = {"type": type, "source": source, "id": id, **extra}
    attributes.setdefault("datacontenttype", "application/json")
    return CloudEvent(attributes, data)


def post(client, event, mode="binary", reply=True):
    headers, body = MODES[mode](event)
    headers = dict(headers)
    if reply:
        headers["Prefer"] = "reply"
    return client.post("/", headers=headers, data=body)


def as_event(response) -> CloudEvent:
    return from_http(dict(response.headers), response.get_data())


GOOD = {"tenant": "acme", "extension": "sample", "method": "POST", "path": "/hello",
        "query": {"a": "1"}, "headers": {"Content-Type": "text/plain"}, "body": "hi"}  # fmt: skip


@pytest.fixture
def client(make_client):
    return make_client("execute_event")


@pytest.mark.parametrize("mode", MODES)
def test_request_with_prefer_reply_answers_a_correlated_result_event(client, runner, mode):
    response = post(client, request_event(GOOD), mode)
    assert response.status_code == 200
    assert response.headers["ce-type"] == RESULT_TYPE  # binary mode, whatever came in
    reply = as_event(response)
    assert reply["causeid"] == "evt-1"
    assert reply["causesource"] == "/tests/producer"
    assert reply["extgatetenant"] == "acme" and reply["extgateextension"] == "sample"
    assert reply.data["status"] == 201
    echoed = json.loads(base64.b64decode(reply.data["body_b64"]))
    assert echoed["path"] == "/hello" and echoed["body"] == "hi"
    assert echoed["query"] == {"a": "1"}
    # routing headers and the idempotency key derived from source + id reach the runner
    (call,) = runner.calls
    assert call.headers["x-alga-tenant"] == "acme"
    assert call.headers["x-idempotency-key"].startswith("ce-")
    assert "set-cookie" not in reply.data["headers"]


@pytest.mark.parametrize("mode", MODES)
def test_without_prefer_reply_answers_202_with_an_empty_body(client, runner, mode):
    response = post(client, request_event(GOOD), mode, reply=False)
    assert response.status_code == 202
    assert response.get_data() == b""
    assert len(runner.calls) == 1
