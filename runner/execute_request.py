"""Parse and validate a ``POST /v1/execute`` body (contract section 1), Flask-free.

A body that is not the contract's shape is the caller's bug and gets an HTTP
400 ``invalid_request`` naming the field. Problems that belong to the call itself
(routing headers) become inner errors, as the Rust runner answered them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from runner.bundles.content_hash import format_content_hash, parse_content_hash
from runner.errors import InvalidContentHash, InvalidRequest, MissingRoutingHeaders

TENANT_HEADER = "x-alga-tenant"
EXTENSION_HEADER = "x-alga-extension"


@dataclass(frozen=True)
class Limits:
    timeout_ms: int | None
    memory_mb: int | None
    fuel: int | None


@dataclass(frozen=True)
class ExecuteRequest:
    request_id: str | None
    tenant_id: str
    extension_id: str
    install_id: str | None
    content_hash: str
    version_id: str | None
    config: dict[str, str]
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None
    limits: Limits
    providers: tuple[str, ...]
    secret_envelope: dict[str, Any] | None

    @property
    def url(self) -> str:
        """Path plus query string, as the guest's ``http-request.url`` expects."""
        return f"{self.path}?{urlencode(self.query)}" if self.query else self.path


def _obj(value: Any, field: str, required: bool = True) -> dict[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"'{field}' must be an object")
    return value


def _str(data: Mapping[str, Any], key: str, field: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise InvalidRequest(f"'{field}.{key}' must be a non-empty string")
    return value


def _str_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidRequest(f"'{field}' must be an object of string values")
    return dict(value)


def _limit(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRequest(f"'limits.{key}' must be a positive integer or null")
    return value


def _body(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest("'http.body_b64' must be a base64 string or null")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("'http.body_b64' is not valid base64") from None


def _content_hash(context: Mapping[str, Any]) -> str:
    raw = _str(context, "content_hash", "context")
    try:
        return format_content_hash(parse_content_hash(raw))
    except InvalidContentHash:
        raise InvalidRequest("'context.content_hash' must look like sha256:<64 hex>") from None


def parse_execute_request(payload: Any) -> ExecuteRequest:
    """Validate the JSON body; raise :class:`InvalidRequest` (HTTP 400) on any shape error."""
    body = _obj(payload, "body")
    context = _obj(body.get("context"), "context")
    http = _obj(body.get("http"), "http")
    limits = _obj(body.get("limits"), "limits", required=False)
    providers = body.get("providers") or []
    if not isinstance(providers, list) or not all(isinstance(p, str) for p in providers):
        raise InvalidRequest("'providers' must be a list of strings")
    envelope = body.get("secret_envelope")
    if envelope is not None and not isinstance(envelope, dict):
        raise InvalidRequest("'secret_envelope' must be an object or null")
    return ExecuteRequest(
        request_id=_str(context, "request_id", "context", required=False),
        tenant_id=_str(context, "tenant_id", "context"),
        extension_id=_str(context, "extension_id", "context"),
        install_id=_str(context, "install_id", "context", required=False),
        content_hash=_content_hash(context),
        version_id=_str(context, "version_id", "context", required=False),
        config=_str_map(context.get("config"), "context.config"),
        method=_str(http, "method", "http").upper(),
        path=_str(http, "path", "http"),
        query=_str_map(http.get("query"), "http.query"),
        headers=_str_map(http.get("headers"), "http.headers"),
        body=_body(http.get("body_b64")),
        limits=Limits(
            _limit(limits, "timeout_ms"), _limit(limits, "memory_mb"), _limit(limits, "fuel")
        ),
        providers=tuple(providers),
        secret_envelope=envelope,
    )


def check_routing_headers(headers: Mapping[str, str], call: ExecuteRequest) -> None:
    """``x-alga-tenant`` and ``x-alga-extension`` must be present and agree with the body.

    They let proxies and logs route a call without parsing JSON; a mismatch means
    a confused or forged caller, so it is refused the same way.
    """
    tenant = headers.get(TENANT_HEADER)
    extension = headers.get(EXTENSION_HEADER)
    if not tenant or not extension:
        raise MissingRoutingHeaders(f"{TENANT_HEADER} and {EXTENSION_HEADER} headers are required")
    if tenant != call.tenant_id or extension != call.extension_id:
        raise MissingRoutingHeaders(
            f"{TENANT_HEADER}/{EXTENSION_HEADER} do not match the request context"
        )
