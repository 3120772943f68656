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


@pytest.mark.parametrize("mode", MODES)
def test_redelivery_replays_the_stored_result_without_executing_again(client, runner, mode):
    first = post(client, request_event(GOOD, id="dup-1"), mode)
    again = post(client, request_event(GOOD, id="dup-1"), mode)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers["ce-id"] == first.headers["ce-id"]  # the identical reply event
    assert len(runner.calls) == 1
    other_source = post(client, request_event(GOOD, id="dup-1", source="/tests/other"), mode)
    assert other_source.status_code == 200
    assert len(runner.calls) == 2  # the key is source + id, not id alone


def test_extension_failure_is_a_result_event_not_a_retry(client, runner):
    runner.envelope = {"status": 500, "headers": {}, "body_b64": None,
                       "error": "execute_failed: trap at /srv/cache/x.wasm"}  # fmt: skip
    response = post(client, request_event(GOOD, id="trap-1"))
    assert response.status_code == 200
    reply = as_event(response)
    assert reply.data["status"] == 500
    assert reply.data["error"] == "execute_failed"
    assert "/srv/cache" not in response.get_data(as_text=True)


def test_extension_inner_5xx_response_is_a_result_event(client, runner):
    body = base64.b64encode(b'{"oops": true}').decode()
    runner.envelope = {"status": 503, "headers": {"content-type": "application/json"},
                       "body_b64": body, "error": None}  # fmt: skip
    reply = as_event(post(client, request_event(GOOD, id="inner-503")))
    assert reply.data["status"] == 503
    assert base64.b64decode(reply.data["body_b64"]) == b'{"oops": true}'


def assert_json_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    payload = response.get_json()
    assert payload["error"] == code
    assert payload["requestId"] and payload["message"]


@pytest.mark.parametrize("mode", MODES)
def test_runner_outage_is_transient_and_not_remembered(client, runner, mode):
    runner.stop()
    assert_json_error(post(client, request_event(GOOD, id="out-1"), mode), 502,
                      "runner_unreachable")  # fmt: skip
    assert_json_error(post(client, request_event(GOOD, id="out-1"), mode), 502,
                      "runner_unreachable")  # fmt: skip


def test_runner_timeout_is_transient(make_client, runner):
    client = make_client("execute_event", EXT_GATEWAY_TIMEOUT_MS="300")
    runner.delay_s = 1.0
    assert_json_error(post(client, request_event(GOOD, id="slow-1")), 504, "runner_timeout")


def test_permanent_problems_are_4xx_the_broker_does_not_retry(client, runner):
    assert_json_error(client.post("/", data=b"hello", headers={"Content-Type": "text/plain"}),
                      400, "invalid_cloudevent")  # fmt: skip
    broken = {"Content-Type": "application/cloudevents+json"}
    assert_json_error(client.post("/", data=b"{nope", headers=broken), 400, "invalid_cloudevent")
    wrong_type = request_event(GOOD, type="com.example.someevent")
    assert_json_error(post(client, wrong_type), 400, "unsupported_event_type")
    for bad in ({"extension": "sample"}, {**GOOD, "surprise": 1}, {**GOOD, "query": {"a": 1}},
                {**GOOD, "body_b64": "***"}, {**GOOD, "body_b64": "aGk="}):  # fmt: skip
        assert_json_error(post(client, request_event(bad, id=str(bad))), 400,
                          "invalid_event_data")  # fmt: skip
    text_event = CloudEvent({"type": REQUEST_TYPE, "source": "/s", "id": "txt",
                             "datacontenttype": "text/plain"}, "not json")  # fmt: skip
    assert_json_error(post(client, text_event), 400, "invalid_event_data")
    # unknown install maps to 404 for HTTP; the Broker would retry 404, so events get 422
    unknown = {**GOOD, "extension": "missing"}
    assert_json_error(post(client, request_event(unknown, id="u-1")), 422, "not_installed")
    assert runner.calls == []


def test_binary_and_json_bodies_reach_the_extension(client, runner):
    post(client, request_event({**GOOD, "body": None, "body_b64": "AAEC/w=="}, id="b64"))
    post(client, request_event({**GOOD, "headers": {}, "body": {"k": [1, 2]}}, id="json"))
    first, second = runner.calls
    assert base64.b64decode(first.payload["http"]["body_b64"]) == b"\x00\x01\x02\xff"
    assert base64.b64decode(second.payload["http"]["body_b64"]) == b'{"k":[1,2]}'
    assert second.payload["http"]["headers"]["content-type"] == "application/json"


def test_probe_path_answers_and_other_methods_are_refused(client):
    assert client.get("/livez").status_code == 200
    response = client.get("/")
    assert_json_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"


def test_oversized_event_is_refused_before_parsing(make_client):
    client = make_client("execute_event", EXT_GATEWAY_MAX_BODY_BYTES="1000")
    event = request_event({**GOOD, "body": "x" * 200_000}, id="big")
    assert_json_error(post(client, event), 413, "payload_too_large")


def test_redelivery_during_the_first_delivery_is_told_to_retry_later(client, runner):
    import threading

    runner.delay_s = 1.0
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=post(client, request_event(GOOD))))
    worker.start()
    for _ in range(100):  # wait until the first delivery reached the runner
        if runner.calls:
            break
        threading.Event().wait(0.02)
    racing = post(client, request_event(GOOD))
    worker.join(10)
    assert_json_error(racing, 409, "event_in_progress")  # 409: the Broker retries it
    assert first["r"].status_code == 200
    runner.delay_s = 0.0
    assert post(client, request_event(GOOD)).get_data() == first["r"].get_data()
    assert len(runner.calls) == 1


def test_oversized_chunked_event_is_refused(make_client):
    import io

    client = make_client("execute_event", EXT_GATEWAY_MAX_BODY_BYTES="1000")
    headers, body = to_binary(request_event({**GOOD, "body": "x" * 200_000}, id="chunked"))
    response = client.post("/", headers=dict(headers) | {"Transfer-Encoding": "chunked"},
                           input_stream=io.BytesIO(body),
                           environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
    assert_json_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_event_message_names_the_event_limit(make_client, chunked):
    import io

    client = make_client("execute_event", EXT_GATEWAY_MAX_BODY_BYTES="1000")
    headers, body = to_binary(request_event({**GOOD, "body": "x" * 200_000}, id="msg"))
    if chunked:
        response = client.post("/", headers=dict(headers) | {"Transfer-Encoding": "chunked"},
                               input_stream=io.BytesIO(body),
                               environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
    else:  # a declared Content-Length is refused before reading
        response = client.post("/", headers=dict(headers), data=body)
        assert response.request.content_length == len(body)
    limit = 1000 * 4 // 3 + 64 * 1024  # the body may arrive base64-encoded, plus attributes
    assert response.get_json()["message"] == f"event exceeds {limit} bytes"


def test_a_rebuilt_gateway_starts_with_an_empty_replay_store(make_client, runner):
    """The replay store lives on the gateway: reset_gateway forgets answered events."""
    post(make_client("execute_event"), request_event(GOOD, id="reset-1"))
    assert len(runner.calls) == 1
    post(make_client("execute_event"), request_event(GOOD, id="reset-1"))  # resets the gateway
    assert len(runner.calls) == 2
