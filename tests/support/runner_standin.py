"""A real loopback HTTP server speaking the runner wire contract, for tests and benches.

It is not a mock of `requests`: the gateway talks to it over TCP exactly as it talks
to the real runner. Behaviour is switched by attributes (`mode`, `delay_s`,
`healthy`, `expected_token`, `envelope`) so a test can make the runner slow, broken
or gone. Every execute call is recorded in `calls` (method, path, headers, JSON).

    with RunnerStandIn() as runner:
        runner.url            # http://127.0.0.1:<port>
        runner.mode = "slow"  # ok | slow | garbage | not_json | bad_envelope | inner_error

Tests get a started one from the `runner_standin` fixture (import it into a conftest).

Run standalone (for bench/gateway_bench.py): python tests/support/runner_standin.py --port 8085
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

INNER_ERROR = (
    "bundle_fetch_failed: GET http://bundle-store.internal.svc:9000/sha256/abc?token=s3cr3t"
)


@dataclass
class RecordedCall:
    method: str
    path: str
    headers: dict[str, str]
    payload: Any


@dataclass
class GatedAsset:
    """An asset sent in two parts: `head` at once, the rest after `gate` is set."""

    head: bytes
    rest: bytes
    gate: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


class RunnerStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mode = "ok"
        self.delay_s = 0.0
        self.healthy = True
        self.expected_token: str | None = None
        self.envelope: dict[str, Any] | None = None
        self.calls: list[RecordedCall] = []
        self.ui_requests: list[RecordedCall] = []
        self.assets: dict[str, bytes] = {}
        self.gated_assets: dict[str, GatedAsset] = {}
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.standin = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> RunnerStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open keep-alive connection."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._connections.clear()
        for asset in self.gated_assets.values():
            asset.gate.set()

    def __enter__(self) -> RunnerStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._connections.add if alive else self._connections.discard)(conn)


@pytest.fixture
def runner_standin() -> Iterator[RunnerStandIn]:
    """A started stand-in on a free loopback port, stopped after the test."""
    with RunnerStandIn() as standin:
        yield standin


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: RunnerStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes: without this, Nagle + delayed ACK
        # add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.standin._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, False)

    def log_message(self, *_args: Any) -> None:
        return None

    @property
    def standin(self) -> RunnerStandIn:
        return self.server.standin

    # --- routes -----------------------------------------------------------------

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.path != "/v1/execute":
            return self._json(404, {"error": "not_found"})
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.standin.calls.append(RecordedCall("POST", self.path, headers, payload))
        standin = self.standin
        if (
            standin.expected_token
            and headers.get("x-runner-service-token") != standin.expected_token
        ):
            return self._json(401, {"error": "unauthorized: bad service token"})
        if standin.delay_s or standin.mode == "slow":
            time.sleep(standin.delay_s or 5.0)
        if standin.mode == "garbage":
            self.wfile.write(b"\x00\x01 this is not HTTP\r\n\r\n")
            self.close_connection = True
            return None
        if standin.mode == "not_json":
            return self._send(200, b"<html>oops</html>", [("content-type", "text/html")])
        if standin.mode == "bad_envelope":
            return self._json(200, {"status": "two hundred", "headers": [], "body_b64": 5})
        if not ("x-alga-tenant" in headers and "x-alga-extension" in headers):
            return self._json(200, _envelope(400, error="missing_routing_headers"))
        if standin.mode == "inner_error":
            return self._json(200, _envelope(502, error=INNER_ERROR))
        if standin.envelope is not None:
            return self._json(200, standin.envelope)
        return self._json(200, _echo_envelope(payload, headers))

    def do_GET(self) -> None:
        self._get(head=False)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def _get(self, head: bool) -> None:
        if self.path == "/healthz":
            ok = self.standin.healthy
            return self._json(200 if ok else 503, {"cache_writable": ok, "bundle_store": "ok"})
        if not self.path.startswith("/ext-ui/"):
            return self._json(404, {"error": "not_found"})
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.standin.ui_requests.append(RecordedCall(self.command, self.path, headers, None))
        if self.standin.delay_s:
            time.sleep(self.standin.delay_s)
        key = self.path[len("/ext-ui/") :].split("?", 1)[0]
        gated = self.standin.gated_assets.get(key)
        if gated is not None:
            return self._send_gated(gated, head)
        body = self.standin.assets.get(key)
        if body is None:
            return self._json(404, {"error": f"not_found: /srv/cache/{key} missing"})
        etag = '"sha256-' + hashlib.sha256(body).hexdigest() + '"'
        common = [("etag", etag), ("cache-control", "public, max-age=31536000, immutable")]
        if headers.get("if-none-match") in (etag, "*"):
            return self._send(304, b"", common, head=True)
        hop = [("connection", "keep-alive, x-hop-secret"), ("x-hop-secret", "internal"),
               ("keep-alive", "timeout=5"), ("x-content-type-options", "nosniff")]  # fmt: skip
        return self._send(200, body, [("content-type", _content_type(key)), *common, *hop], head)

    # --- writing ----------------------------------------------------------------

    def _send_gated(self, asset: GatedAsset, head: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/javascript")
        self.send_header("content-length", str(len(asset.head) + len(asset.rest)))
        self.end_headers()
        if not head:
            self.wfile.write(asset.head)
            self.wfile.flush()
            asset.gate.wait(timeout=30)
            try:
                self.wfile.write(asset.rest)
            except OSError:
                self.close_connection = True
        asset.finished.set()

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, [("content-type", "application/json")])

    def _send(self, status: int, body: bytes, headers: list, head: bool = False) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


def _envelope(status: int, body: bytes = b"", headers=None, error: str | None = None) -> dict:
    return {
        "status": status,
        "headers": headers or {},
        "body_b64": base64.b64encode(body).decode() if body else None,
        "error": error,
    }


def _echo_envelope(payload: Any, headers: dict[str, str]) -> dict:
    """The extension's answer: what it received, plus headers the gateway must drop."""
    http = payload.get("http", {}) if isinstance(payload, dict) else {}
    body = base64.b64decode(http.get("body_b64") or "")
    echo = {
        "method": http.get("method"),
        "path": http.get("path"),
        "query": http.get("query"),
        "headers": http.get("headers"),
        "body": body.decode("utf-8", "replace"),
        "context": payload.get("context") if isinstance(payload, dict) else None,
    }
    response_headers = {
        "content-type": "application/json",
        "x-ext-request-id": headers.get("x-request-id", ""),
        "x-ext-warning": "stand-in",
        "set-cookie": "session=leak",
        "x-internal-debug": "runner-node-7",
    }
    return _envelope(201, json.dumps(echo).encode(), response_headers)


def _content_type(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1]
    types = {"html": "text/html; charset=utf-8", "js": "application/javascript",
             "css": "text/css", "json": "application/json"}  # fmt: skip
    return types.get(suffix, "application/octet-stream")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the runner stand-in on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8085)
    parser.add_argument("--ready-file", help="write the URL here once listening")
    args = parser.parse_args(argv)
    standin = RunnerStandIn(args.host, args.port)
    standin.assets["sample/sha256:" + "0" * 64 + "/index.html"] = b"<!doctype html><p>hi</p>"
    if args.ready_file:
        with open(args.ready_file, "w", encoding="utf-8") as handle:
            handle.write(standin.url)
    print(f"runner stand-in listening on {standin.url}", flush=True)
    try:
        standin._server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
