"""Proxy everything the gateway does not own to the app's dev server (EMULATOR_APP_UPSTREAM).

This is what makes localhost:3000 one origin for the app, the extension API and the
extension UI. Response bodies are streamed, never buffered (request bodies from a dev app are
small and are sent with their length); hop-by-hop
headers are dropped both ways; `Host` is rewritten to the upstream's while the
original goes in `X-Forwarded-Host`. The upstream is a developer's own dev server on
this machine, trusted like the emulator itself. WebSocket upgrades (some dev servers'
hot reload) are not proxied: point the dev server's HMR client at its own port.
"""

from __future__ import annotations

from collections.abc import Iterator

import flask
import requests

from emulator.errors import AppUpstreamTimeout, AppUpstreamUnreachable

HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length",
    }
)  # fmt: skip
CHUNK = 64 * 1024


class AppProxy:
    """Forwards the current Flask request to `upstream` with one pooled session."""

    def __init__(self, upstream: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 60.0):
        self.upstream = upstream.rstrip("/")
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self.session = requests.Session()
        self.session.trust_env = False  # never route a loopback dev server through a proxy

    def forward(self, request: flask.Request) -> flask.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Forwarded-Host"] = request.host
        headers["X-Forwarded-Proto"] = request.scheme
        url = self.upstream + request.path
        if request.query_string:
            url += "?" + request.query_string.decode("latin-1")
        body = request.get_data() if _has_body(request) else None
        try:
            upstream = self.session.request(
                request.method,
                url,
                headers=headers,
                data=body,
                stream=True,
                allow_redirects=False,
                timeout=self.timeouts,
            )
        except requests.Timeout:
            raise AppUpstreamTimeout("the app dev server did not answer in time") from None
        except requests.RequestException:
            raise AppUpstreamUnreachable(
                f"the app dev server at {self.upstream} is not answering; is it running?"
            ) from None
        out_headers = [
            (k, v) for k, v in upstream.raw.headers.items() if k.lower() not in HOP_BY_HOP
        ]
        if "content-length" in upstream.headers:  # raw bytes are passed on: the length holds
            out_headers.append(("Content-Length", upstream.headers["content-length"]))
        return flask.Response(
            _stream(upstream),
            status=upstream.status_code,
            headers=out_headers,
            direct_passthrough=True,
        )


def _has_body(request: flask.Request) -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def _stream(upstream: requests.Response) -> Iterator[bytes]:
    try:
        yield from upstream.raw.stream(CHUNK, decode_content=False)
    finally:
        upstream.close()
