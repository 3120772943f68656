"""CloudEvents entry point for execute, answering the way Knative Eventing expects.

One POST carries one CloudEvents 1.0 event, binary or structured mode (parsed by
the cloudevents SDK). A ``dev.extgate.execute.request.v1`` event runs through the
same Flask-free core as HTTP execute (``run_execute``), then:

- ``Prefer: reply`` (the Broker always sends it): 200 with the result event in
  binary mode; the Broker puts it back on the mesh. Without it: 202, empty body.
  A 2xx never carries a body that is not a CloudEvent (the Broker would turn
  that into a 502 and retry).
- Failures are answered per ``functions.event_errors``: extension failures are
  result events, permanent problems 4xx JSON (no retry), transient ones 5xx/409.
- A redelivery of the same ``source`` + ``id`` replays the stored answer
  (``functions.event_replay``) instead of executing again.

``GET|HEAD /livez`` answers 200 so the target is probe-able on its own; any other
non-POST is 405.
"""

from __future__ import annotations

import flask
from cloudevents.conversion import to_binary
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent, from_http

from functions.error_responses import ErrorPayload
from functions.errors import MethodNotAllowed
from functions.event_errors import (
    Disposition,
    EventInProgress,
    InvalidCloudEvent,
    UnsupportedEventType,
    classify,
)
from functions.event_replay import Claim, StoredReply
from functions.event_types import (
    REQUEST_TYPE,
    EventKey,
    request_data,
    result_event,
    to_execute_call,
)
from functions.execute_core import ExecuteCall, ExecuteOutcome, run_execute
from functions.gateway import Gateway
from functions.request_body import read_body_limited
from functions.request_log import RequestRecord

LIVENESS_PATH = "/livez"
# The event envelope may carry the body base64-encoded (4/3) plus attributes.
ENVELOPE_OVERHEAD_BYTES = 64 * 1024


def handle_event(request: flask.Request, gateway: Gateway, record: RequestRecord) -> flask.Response:
    """The ``execute_event`` target's handler (run inside ``http_adapter.serve``)."""
    if request.method in ("GET", "HEAD") and request.path == LIVENESS_PATH:
        return flask.Response(b'{"status": "ok"}', 200, content_type="application/json")
    try:
        event = _parse(request, gateway.settings.max_body_bytes)
    except Exception as exc:  # noqa: BLE001 - every failure must become a JSON response
        return _failure_response(exc, record)
    key = EventKey(source=event["source"], id=event["id"])
    store = gateway.replay
    state, stored = store.claim(key.as_tuple())
    if state is Claim.IN_FLIGHT:
        return _failure_response(EventInProgress(), record)
    if state is Claim.CLAIMED:
        try:
            stored = _execute(event, key, gateway, record)
        except Exception as exc:  # noqa: BLE001 - permanent/transient: nothing to replay
            store.release(key.as_tuple())
            return _failure_response(exc, record)
        store.complete(key.as_tuple(), stored)
    else:
        record.detail = "replayed stored result"
    assert stored is not None  # CLAIMED stored one; REPLAY returned one
    if not _prefers_reply(request):
        return flask.Response(status=202)
    return flask.Response(stored.body, status=stored.status, headers=list(stored.headers))


def _parse(request: flask.Request, max_body_bytes: int) -> CloudEvent:
    if request.method != "POST":
        raise MethodNotAllowed(("POST",))
    limit = max_body_bytes * 4 // 3 + ENVELOPE_OVERHEAD_BYTES
    body = read_body_limited(request, limit, what="event")
    try:
        event = from_http(dict(request.headers), body)
    except GenericException:
        raise InvalidCloudEvent() from None
    if event["type"] != REQUEST_TYPE:
        raise UnsupportedEventType(f"unsupported event type; expected {REQUEST_TYPE}")
    return event


def _execute(
    event: CloudEvent, key: EventKey, gateway: Gateway, record: RequestRecord
) -> StoredReply:
    """Run the extension; its own failure is still a result (stored and replayed)."""
    call = to_execute_call(request_data(event), key, record.request_id)
    record.tenant, record.extension = call.tenant_id, call.extension_id
    try:
        outcome = run_execute(call, gateway)
        reply = result_event(outcome, call, key)
    except Exception as exc:  # noqa: BLE001 - classified below, re-raised unless RESULT
        failure = classify(exc, record.request_id)
        if failure.disposition is not Disposition.RESULT:
            raise
        record.error, record.detail = failure.payload.code, failure.payload.log_detail
        reply = _failed_extension_event(failure.payload, call, key)
    headers, body = to_binary(reply)
    return StoredReply(status=200, headers=tuple(headers.items()), body=body)


def _failed_extension_event(payload: ErrorPayload, call: ExecuteCall, key: EventKey) -> CloudEvent:
    outcome = ExecuteOutcome(
        status=payload.status,
        headers={"content-type": "application/json", "x-request-id": call.request_id},
        body=payload.json_bytes(),
    )
    return result_event(outcome, call, key, error=payload.code)


def _failure_response(exc: BaseException, record: RequestRecord) -> flask.Response:
    failure = classify(exc, record.request_id)
    payload = failure.payload
    record.error, record.detail = payload.code, payload.log_detail
    return payload.to_response()


def _prefers_reply(request: flask.Request) -> bool:
    """RFC 7240 ``Prefer``: a comma-separated list; ``reply`` may carry parameters."""
    for header in request.headers.getlist("Prefer"):
        for preference in header.split(","):
            name = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
            if name == "reply":
                return True
    return False
