"""Helpers for starting real servers on loopback, shared by the tests and the benches.

- ``free_port()``: a TCP port nothing listens on right now. Another process may take
  it before ours binds; on a test machine that race is rare enough to accept.
- ``env_without(*prefixes)``: this process's environment minus every name with one of
  the prefixes, so a developer's own ``RUNNER_SERVICE_TOKEN`` or ``RUNNER_MAX_FUEL``
  does not leak into a server a test or bench starts.
- ``wait_until(check, timeout_s, what)``: poll until ``check()`` is truthy, sleeping
  between tries; connection errors count as "not yet", a dead process as "never".
- ``serve_http(handler)``: a real threaded HTTP server for ``handler`` on loopback,
  for the upstreams, stores and registries the code under test calls.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

import requests

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_http(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yield the base URL, then shut down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def env_without(*prefixes: str) -> dict[str, str]:
    """A copy of ``os.environ`` without the names that start with any of ``prefixes``."""
    return {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}


def wait_until(
    check: Callable[[], T],
    timeout_s: float,
    what: str,
    *,
    interval_s: float = 0.1,
    alive: Callable[[], bool] = lambda: True,
) -> T:
    """Call ``check`` every ``interval_s`` until it returns something truthy; return that.

    ``requests`` errors and ``OSError`` (refused, reset, timed out) mean "not yet".
    ``alive`` is asked before every try: when it says the process we wait for is gone,
    this raises ``RuntimeError`` at once instead of waiting out the deadline. After
    ``timeout_s`` it raises ``TimeoutError`` naming ``what``.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if not alive():
            raise RuntimeError(f"{what}: the process exited first")
        try:
            result = check()
        except (requests.RequestException, OSError):
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(interval_s)


RUNNER_ENV_PREFIXES = ("RUNNER_", "EXT_", "BUNDLE_", "IDEMPOTENCY_")
"""Prefixes of the settings the runner reads: strip them before starting one."""

RUNNER_GUNICORN = (
    sys.executable, "-m", "gunicorn", "-c", "python:runner.gunicorn_conf", "runner.wsgi:app",
)  # fmt: skip
"""The runner served as its image serves it (run with ``cwd`` at the repository root)."""
