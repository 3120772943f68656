"""The execute use case without Flask: resolve the install, call the runner.

Both the HTTP target (`execute`) and the CloudEvents entry point build an
`ExecuteCall` and hand it to `run_execute`. Failures are raised as `GatewayError`s
and mapped to responses by the caller through `functions.error_responses`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from functions.backends import ExecuteRequest
from functions.config import IDENTIFIER
from functions.errors import (
    BadRequest,
    InvalidIdempotencyKey,
    MethodNotAllowed,
    PayloadTooLarge,
    RunnerRejected,
)
from functions.gateway import Gateway
from functions.header_policy import EXECUTE_REQUEST_HEADERS, EXECUTE_RESPONSE_HEADERS, pick

EXECUTE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,256}$")
MAX_PATH_CHARS = 2048


@dataclass(frozen=True)
class ExecuteCall:
    tenant_id: str
    extension_id: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None
    request_id: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ExecuteOutcome:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def new_request_id() -> str:
    return uuid.uuid4().hex


def resolve_request_id(candidate: str | None) -> str:
    """The caller's request id when it is well-formed, else a fresh one."""
    if candidate and REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()


def run_execute(call: ExecuteCall, gateway: Gateway) -> ExecuteOutcome:
    """Execute one extension request; raises `GatewayError` on any failure."""
    method = call.method.upper()
    _validate(call, method, gateway.settings.max_body_bytes)
    install = gateway.registry.lookup(call.tenant_id, call.extension_id)
    idempotency_key = call.idempotency_key
    if idempotency_key is None and method not in SAFE_METHODS:
        idempotency_key = uuid.uuid4().hex
    result = gateway.backend.execute(
        ExecuteRequest(
            request_id=call.request_id,
            tenant_id=call.tenant_id,
            extension_id=call.extension_id,
            content_hash=install.content_hash,
            method=method,
            path=call.path,
            install_id=install.install_id,
            version_id=install.version_id,
            config=install.config,
            query=call.query,
            headers=pick(call.headers, EXECUTE_REQUEST_HEADERS),
            body=call.body or None,
            idempotency_key=idempotency_key,
            timeout_ms=install.limits.get("timeout_ms"),
            memory_mb=install.limits.get("memory_mb"),
            fuel=install.limits.get("fuel"),
            providers=install.providers,
            secret_envelope=install.secret_envelope,
        )
    )
    if result.error is not None:
        raise RunnerRejected(result.status, result.error)
    response_headers = response_headers_for(result.headers, call.request_id)
    return ExecuteOutcome(result.status, response_headers, result.body)


def response_headers_for(extension_headers: Mapping[str, str], request_id: str) -> dict[str, str]:
    headers = pick(extension_headers, EXECUTE_RESPONSE_HEADERS)
    headers["x-request-id"] = request_id
    return headers


def _validate(call: ExecuteCall, method: str, max_body_bytes: int) -> None:
    if method not in EXECUTE_METHODS:
        raise MethodNotAllowed(EXECUTE_METHODS)
    if not IDENTIFIER.match(call.extension_id):
        raise BadRequest("extension id must be 1-128 characters of [A-Za-z0-9._-]")
    if not call.path.startswith("/") or len(call.path) > MAX_PATH_CHARS:
        raise BadRequest("extension path must start with / and be at most 2048 characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in call.path):
        raise BadRequest("extension path contains control characters")
    if call.body is not None and len(call.body) > max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {max_body_bytes} bytes")
    if call.idempotency_key is not None and not IDEMPOTENCY_KEY.match(call.idempotency_key):
        raise InvalidIdempotencyKey()
