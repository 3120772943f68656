"""HTTP to the runner: one pooled keep-alive session, auth, timeouts, wire format.

One `RunnerClient` lives per process (the backend owns it), so TCP connections to
the runner are reused across requests. `requests.Session` is shared between
threads; we only use it for whole request/response cycles, which urllib3's pool
makes safe. Every `requests` exception is translated here, in `translate_error`,
into a `functions.errors.RunnerError`; nothing above this module sees `requests`.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from functions.backends.base import ExecuteRequest, ExecuteResult, RunnerHealth, UiAssetResponse
from functions.config import Settings
from functions.errors import (
    RunnerError,
    RunnerInvalidResponse,
    RunnerNotConfigured,
    RunnerRejected,
    RunnerTimeout,
    RunnerUnreachable,
    stable_code,
)

STREAM_CHUNK_BYTES = 64 * 1024
HEALTH_TIMEOUT_S = 5.0


class RunnerClient:
    """Speaks the runner HTTP contract against a base URL resolved per call.

    `resolve_base` may raise `RunnerNotConfigured` (e.g. Docker discovery found
    nothing); `on_unreachable` lets a backend forget a stale base URL.
    """

    def __init__(
        self,
        settings: Settings,
        resolve_base: Callable[[], str],
        on_unreachable: Callable[[], None] = lambda: None,
    ) -> None:
        self._resolve_base = resolve_base
        self._on_unreachable = on_unreachable
        self._timeout = (settings.connect_timeout_s, settings.timeout_s)
        self._session = requests.Session()
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=64, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.clear()
        self._session.headers["user-agent"] = f"extgate-gateway/{settings.version}"
        if settings.runner_service_token:
            self._session.headers["x-runner-service-token"] = settings.runner_service_token

    def close(self) -> None:
        self._session.close()

    def execute(self, request: ExecuteRequest) -> ExecuteResult:
        response = self._send(
            "POST",
            "/v1/execute",
            json_body=execute_payload(request),
            headers=execute_headers(request),
        )
        try:
            return parse_execute_response(response)
        finally:
            response.close()

    def stream(
        self, path: str, query: str, method: str, headers: Mapping[str, str]
    ) -> UiAssetResponse:
        target = path + (f"?{query}" if query else "")
        response = self._send(method, target, headers=dict(headers), stream=True)
        refused = auth_rejection(response.status_code)
        if refused is not None:
            response.close()
            raise refused
        return UiAssetResponse(
            status=response.status_code,
            headers=list(response.raw.headers.items()),
            body=_raw_chunks(response) if method != "HEAD" else iter(()),
            close=response.close,
        )

    def health(self) -> RunnerHealth:
        started = time.perf_counter()
        try:
            response = self._send(
                "GET", "/healthz", timeout=min(HEALTH_TIMEOUT_S, self._timeout[1])
            )
        except RunnerError as exc:
            return RunnerHealth(reachable=False, latency_ms=None, detail=exc.code)
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        response.close()
        ok = response.status_code == 200
        return RunnerHealth(
            reachable=ok,
            latency_ms=latency_ms,
            status_code=response.status_code,
            detail="ok" if ok else f"runner health answered {response.status_code}",
        )

    def _send(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> requests.Response:
        url = self._resolve_base() + target
        data = None if json_body is None else json.dumps(json_body, separators=(",", ":")).encode()
        send_headers = dict(headers or {})
        if data is not None:
            send_headers["content-type"] = "application/json"
        try:
            return self._session.request(
                method,
                url,
                data=data,
                headers=send_headers,
                stream=stream,
                allow_redirects=False,
                timeout=(self._timeout[0], timeout or self._timeout[1]),
            )
        except requests.RequestException as exc:
            error = translate_error(exc)
            if isinstance(error, RunnerUnreachable):
                self._on_unreachable()
            raise error from None


def translate_error(exc: requests.RequestException) -> RunnerError:
    """The one table from `requests` failures to gateway errors.

    A connect timeout counts as unreachable (the runner never saw the call); a read
    timeout as `runner_timeout`; a peer that speaks something other than HTTP as
    an invalid response; any other connection failure as unreachable.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return RunnerUnreachable(detail="connect timeout")
    if isinstance(exc, requests.Timeout):
        return RunnerTimeout(detail="read timeout")
    if isinstance(exc, requests.ConnectionError):
        root = _root_cause(exc)
        if isinstance(root, http.client.HTTPException) and not isinstance(
            root, http.client.RemoteDisconnected
        ):
            return RunnerInvalidResponse(detail=type(root).__name__)
        return RunnerUnreachable(detail=type(root).__name__)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return RunnerNotConfigured(detail="invalid runner URL")
    return RunnerInvalidResponse(detail=type(exc).__name__)


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        nested = getattr(current, "reason", None)
        if not isinstance(nested, BaseException):
            nested = current.args[-1] if current.args else None
        if not isinstance(nested, BaseException):
            nested = current.__cause__ or current.__context__
        if not isinstance(nested, BaseException):
            break
        current = nested
    return current


def _raw_chunks(response: requests.Response) -> Iterator[bytes]:
    """Yield the body as it arrives, undecoded, and always release the connection."""
    try:
        yield from response.raw.stream(STREAM_CHUNK_BYTES, decode_content=False)
    except Exception:  # noqa: BLE001 - headers are sent; all we can do is stop
        return
    finally:
        response.close()


def execute_payload(request: ExecuteRequest) -> dict[str, Any]:
    """The `POST /v1/execute` JSON body (runner contract section 1)."""
    body = request.body
    return {
        "context": {
            "request_id": request.request_id,
            "tenant_id": request.tenant_id,
            "extension_id": request.extension_id,
            "install_id": request.install_id,
            "content_hash": request.content_hash,
            "version_id": request.version_id,
            "config": dict(request.config),
        },
        "http": {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers) | execute_headers(request),
            "body_b64": base64.b64encode(body).decode("ascii") if body else None,
        },
        "limits": {
            "timeout_ms": request.timeout_ms,
            "memory_mb": request.memory_mb,
            "fuel": request.fuel,
        },
        "providers": list(request.providers),
        "secret_envelope": dict(request.secret_envelope) if request.secret_envelope else None,
        "user": None,  # optional in the contract; the gateway has no verified user yet
    }


def execute_headers(request: ExecuteRequest) -> dict[str, str]:
    """The routing headers, built only here: sent as real HTTP headers (the runner
    requires them there) and over the client's values in the JSON `http.headers`."""
    headers = {
        "x-request-id": request.request_id,
        "x-alga-tenant": request.tenant_id,
        "x-alga-extension": request.extension_id,
    }
    if request.idempotency_key:
        headers["x-idempotency-key"] = request.idempotency_key
    return headers


def parse_execute_response(response: requests.Response) -> ExecuteResult:
    """Validate the runner envelope; any deviation is `runner_invalid_response`."""
    if response.status_code != 200:
        raise _outer_error(response)
    try:
        envelope = json.loads(response.content)
    except ValueError:
        raise RunnerInvalidResponse(detail="execute response is not JSON") from None
    if not isinstance(envelope, dict):
        raise RunnerInvalidResponse(detail="execute response is not an object")
    status, headers = envelope.get("status"), envelope.get("headers") or {}
    error, body_b64 = envelope.get("error"), envelope.get("body_b64")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise RunnerInvalidResponse(detail="execute response status is not an HTTP status")
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise RunnerInvalidResponse(detail="execute response headers are not a string map")
    if error is not None and not isinstance(error, str):
        raise RunnerInvalidResponse(detail="execute response error is not a string")
    if body_b64 is not None and not isinstance(body_b64, str):
        raise RunnerInvalidResponse(detail="execute response body_b64 is not a string")
    try:
        body = base64.b64decode(body_b64, validate=True) if body_b64 else b""
    except (binascii.Error, ValueError):
        raise RunnerInvalidResponse(detail="execute response body_b64 is not base64") from None
    return ExecuteResult(status=status, headers=headers, body=body, error=error)


def auth_rejection(status: int) -> RunnerRejected | None:
    """The error for a runner status that refuses the gateway's service token, if it is one.

    401/403 from the runner (on `/v1/execute` and `/ext-ui/` alike) mean it refused
    the gateway's service token: a deployment fault, not the caller's, so it is
    reported as 502 `runner_auth_rejected`, never passed on as the caller's 401/403.
    """
    if status in (401, 403):
        return RunnerRejected(502, "runner_auth_rejected")
    return None


def _outer_error(response: requests.Response) -> RunnerError:
    """A non-200 from `/v1/execute` itself: keep a stable code, never the text."""
    refused = auth_rejection(response.status_code)
    if refused is not None:
        return refused
    try:
        payload = response.json()
    except ValueError:
        payload = None
    raw = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(raw, str) and stable_code(raw, "") and response.status_code >= 400:
        return RunnerRejected(response.status_code if response.status_code >= 500 else 502, raw)
    return RunnerInvalidResponse(detail=f"execute answered HTTP {response.status_code}")
