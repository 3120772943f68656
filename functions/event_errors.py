"""How a failure is answered to Knative Eventing, which retries by status code.

The Broker retries 5xx, 404, 408, 409 and 429 and gives up at once on any other
4xx. So each failure gets one of three dispositions:

- ``RESULT``: the extension itself failed (trap, timeout, memory, fuel). That is its
  answer, not a delivery problem: reply with a result event carrying the status.
- ``PERMANENT``: retrying cannot help (not a CloudEvent, wrong type, bad data,
  unknown install, no such route). 4xx JSON; a 404/408/409/429 from the HTTP mapping
  is answered 422 instead so the Broker does not retry it.
- ``TRANSIENT``: runner unreachable, timeout, registry down, a redelivery racing the
  first one. 5xx (or 409) JSON so the Broker retries with backoff.

Event-specific errors extend the gateway's one ``GatewayError`` tree:

    BadRequest (400)
    ├── InvalidCloudEvent        400 invalid_cloudevent
    └── UnsupportedEventType     400 unsupported_event_type
    EventInProgress              409 event_in_progress  (retried by the Broker)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from functions.error_responses import ErrorPayload, error_payload
from functions.errors import BadRequest, GatewayError, RunnerRejected

EXTENSION_FAILURE_CODES = frozenset(
    {"execute_failed", "execute_timeout", "memory_limit_exceeded", "fuel_exhausted"}
)
RETRIED_BY_BROKER = frozenset({404, 408, 409, 429})
NOT_RETRIED_STATUS = 422


class InvalidCloudEvent(BadRequest):
    code = "invalid_cloudevent"
    default_message = "the request is not a valid CloudEvents 1.0 event"


class UnsupportedEventType(BadRequest):
    code = "unsupported_event_type"
    default_message = "this endpoint accepts dev.extgate.execute.request.v1 events only"


class EventInProgress(GatewayError):
    status = 409
    code = "event_in_progress"
    default_message = "this event is being executed by an earlier delivery; retry later"


class Disposition(Enum):
    RESULT = "result"
    PERMANENT = "permanent"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class EventFailure:
    disposition: Disposition
    payload: ErrorPayload


def classify(exc: BaseException, request_id: str) -> EventFailure:
    """The disposition and the JSON error payload (status adjusted for the Broker)."""
    payload = error_payload(exc, request_id)
    if isinstance(exc, RunnerRejected) and exc.code in EXTENSION_FAILURE_CODES:
        return EventFailure(Disposition.RESULT, payload)
    if isinstance(exc, EventInProgress):
        return EventFailure(Disposition.TRANSIENT, payload)
    if isinstance(exc, GatewayError) and 400 <= payload.status < 500:
        if payload.status in RETRIED_BY_BROKER:
            payload = replace(payload, status=NOT_RETRIED_STATUS)
        return EventFailure(Disposition.PERMANENT, payload)
    return EventFailure(Disposition.TRANSIENT, payload)
