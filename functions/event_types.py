"""The execute event types: parse a request event, build its result event.

``dev.extgate.execute.request.v1`` — data (JSON object):
    tenant     str, required      the tenant the extension is installed for
    extension  str, required      extension id
    method     str = "POST"       HTTP method seen by the extension
    path       str = "/"          path inside the extension
    query      {str: str} = {}
    headers    {str: str} = {}    filtered by the same allowlist as HTTP execute
    body       str | JSON         text (UTF-8) or any JSON value (sent as JSON)
    body_b64   str                binary body, base64; excludes ``body``

``dev.extgate.execute.result.v1`` — data (JSON object):
    status     int                the extension's HTTP status (inner 5xx included)
    headers    {str: str}         response headers kept by the allowlist
    body_b64   str | null         response body, base64
    error      str | null         stable code when the extension itself failed
    requestId  str                the gateway request id (log correlation)
  attributes: ``causeid``/``causesource`` = ``id``/``source`` of the request event,
  ``extgatetenant``/``extgateextension``, ``subject`` = the path. Its ``id`` is
  derived from the cause, so a replayed reply is the identical event.

Trust: ``tenant`` is taken from the event. Only in-cluster producers reach the
Broker and the execute-event Service is cluster-local; see docs/events.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from functions.errors import BadRequest
from functions.execute_core import ExecuteCall, ExecuteOutcome

REQUEST_TYPE = "dev.extgate.execute.request.v1"
RESULT_TYPE = "dev.extgate.execute.result.v1"
RESULT_SOURCE = "/extgate/execute-event"
_RESULT_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8d1b-4f7e-9a51-2f0f7a0e3c11")
_ALLOWED_FIELDS = {"tenant", "extension", "method", "path", "query", "headers", "body", "body_b64"}


class InvalidEventData(BadRequest):
    code = "invalid_event_data"
    default_message = "the event data does not match dev.extgate.execute.request.v1"


@dataclass(frozen=True)
class EventKey:
    """``source`` + ``id``: what makes two deliveries the same event."""

    source: str
    id: str

    def as_tuple(self) -> tuple[str, str]:
        return (self.source, self.id)

    def idempotency_key(self) -> str:
        """The runner's idempotency key: printable ASCII whatever the ids contain."""
        digest = hashlib.sha256(f"{self.source}\x00{self.id}".encode()).hexdigest()
        return f"ce-{digest}"


def request_data(event: CloudEvent) -> dict[str, Any]:
    """The event's data as a JSON object, whatever content mode carried it."""
    data = event.data
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise InvalidEventData("event data must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidEventData("event data must be a JSON object")
    return data


def to_execute_call(data: Mapping[str, Any], key: EventKey, request_id: str) -> ExecuteCall:
    """Validate the request event data and turn it into the execute core's input."""
    unknown = sorted(set(data) - _ALLOWED_FIELDS)
    if unknown:
        raise InvalidEventData(f"unknown field(s) in event data: {', '.join(unknown)}")
    headers = _string_map(data, "headers")
    return ExecuteCall(
        tenant_id=_required_text(data, "tenant"),
        extension_id=_required_text(data, "extension"),
        method=_text(data, "method", "POST").upper(),
        path=_text(data, "path", "/"),
        query=_string_map(data, "query"),
        headers=headers,
        body=_body(data, headers),
        request_id=request_id,
        idempotency_key=key.idempotency_key(),
    )


def result_event(
    outcome: ExecuteOutcome,
    call: ExecuteCall,
    key: EventKey,
    error: str | None = None,
) -> CloudEvent:
    """The reply for a request event: the extension's answer, correlated to its cause."""
    result_id = uuid.uuid5(_RESULT_ID_NAMESPACE, f"{key.source}\x00{key.id}")
    attributes = {
        "type": RESULT_TYPE,
        "source": RESULT_SOURCE,
        "id": str(result_id),
        "time": datetime.now(UTC).isoformat(),
        "subject": call.path,
        "datacontenttype": "application/json",
        "causeid": key.id,
        "causesource": key.source,
        "extgatetenant": call.tenant_id,
        "extgateextension": call.extension_id,
    }
    data = {
        "status": outcome.status,
        "headers": dict(outcome.headers),
        "body_b64": base64.b64encode(outcome.body).decode() if outcome.body else None,
        "error": error,
        "requestId": call.request_id,
    }
    return CloudEvent(attributes, data)


def _required_text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidEventData(f"'{name}' is required and must be a non-empty string")
    return value.strip()


def _text(data: Mapping[str, Any], name: str, default: str) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or not value:
        raise InvalidEventData(f"'{name}' must be a non-empty string")
    return value


def _string_map(data: Mapping[str, Any], name: str) -> dict[str, str]:
    value = data.get(name, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidEventData(f"'{name}' must be an object of string values")
    return {k.lower() if name == "headers" else k: v for k, v in value.items()}


def _body(data: Mapping[str, Any], headers: dict[str, str]) -> bytes | None:
    if data.get("body") is not None and data.get("body_b64") is not None:
        raise InvalidEventData("give either 'body' or 'body_b64', not both")
    if data.get("body_b64") is not None:
        encoded = data["body_b64"]
        if not isinstance(encoded, str):
            raise InvalidEventData("'body_b64' must be a base64 string")
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEventData("'body_b64' is not valid base64") from None
    body = data.get("body")
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    headers.setdefault("content-type", "application/json")
    return json.dumps(body, separators=(",", ":")).encode()
