"""Outbound HTTP for guests (`http.fetch`), limited to the install's allowed hosts.

Trust: the guest chooses the URL, so everything is checked here: scheme http(s)
only, host in `allowed_hosts` (exact name, `*.example.com` for subdomains, either
optionally with `:port`),
redirects are not followed (a redirect could lead to a host that is not allowed),
the response body is capped, and the call cannot outlive the request's deadline.
Proxy and netrc settings from the environment are ignored so no credentials of the
runner leak into guest traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import requests

from runner.host.errors import HostCallError
from runner.host.values import FetchedResponse

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REQUEST_BYTES = 5 * 1024 * 1024
_ALLOWED_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_DROPPED_REQUEST_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


def host_allowed(host: str, allowed_hosts: Sequence[str], port: int | None = None) -> bool:
    """Whether `host` (and `port`) is in the allow-list.

    Patterns: `api.example.com` (any port), `api.example.com:8443` (that port only),
    `*.example.com` (any subdomain, not the bare domain; a port may follow too).
    """
    host = host.lower().rstrip(".")
    for raw in allowed_hosts:
        pattern, _, pattern_port = raw.strip().lower().partition(":")
        pattern = pattern.rstrip(".")
        if pattern_port and (port is None or pattern_port != str(port)):
            continue
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif pattern and host == pattern:
            return True
    return False


class OutboundHttp:
    """One pooled session per process; `fetch` is safe to call from many threads."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self._session.trust_env = False

    def fetch(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        allowed_hosts: Sequence[str],
        deadline_s: float | None = None,
    ) -> FetchedResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HostCallError("invalid-url", "url must be an absolute http(s) URL")
        if method.upper() not in _ALLOWED_METHODS:
            raise HostCallError("invalid-url", f"method {method!r} is not supported")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise HostCallError("invalid-url", "url has an invalid port") from None
        if not host_allowed(parts.hostname, allowed_hosts, port):
            raise HostCallError("not-allowed")
        if body is not None and len(body) > MAX_REQUEST_BYTES:
            raise HostCallError("transport", "request body too large")
        timeout = (
            self.timeout_s if deadline_s is None else max(0.05, min(self.timeout_s, deadline_s))
        )
        send_headers = {k: v for k, v in headers if k.lower() not in _DROPPED_REQUEST_HEADERS}
        try:
            with self._session.request(
                method.upper(),
                url,
                headers=send_headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            ) as response:
                content = _read_capped(response)
                headers_out = [(k.lower(), v) for k, v in response.headers.items()]
                return FetchedResponse(response.status_code, headers_out, content)
        except requests.Timeout:
            raise HostCallError("timeout") from None
        except requests.RequestException as exc:
            raise HostCallError("transport", type(exc).__name__) from None


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise HostCallError("transport", f"response exceeds {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
