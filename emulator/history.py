"""The last N requests the emulator served, for the status page.

`RequestHistoryMiddleware` wraps the WSGI app: it times each request until its
response body is fully sent (streamed UI assets included), records method, path,
status and duration in a bounded ring buffer, and prints one access line. The
emulator's own status pages are served but not recorded, so a status page that
polls does not push real traffic out of the buffer. Query strings are not kept:
they may carry tokens.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from emulator import console

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class RequestRecord:
    at: float
    method: str
    path: str
    status: int
    duration_ms: float


class RequestHistory:
    """A thread-safe ring buffer of `RequestRecord`s, newest last."""

    def __init__(self, size: int = 200) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def recent(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first, as plain dicts ready for JSON."""
        with self._lock:
            records = list(self._records)
        records.reverse()
        return [asdict(r) for r in records[:limit]]


class RequestHistoryMiddleware:
    """Records every request except those under `ignored_prefix`."""

    def __init__(
        self,
        app: WsgiApp,
        history: RequestHistory,
        ignored_prefix: str = "/_emulator",
        echo: bool = True,
    ) -> None:
        self.app = app
        self.history = history
        self.ignored_prefix = ignored_prefix
        self.echo = echo

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith(self.ignored_prefix):
            return self.app(environ, start_response)
        started = time.perf_counter()
        status_holder: list[int] = [0]

        def recording_start_response(status: str, headers: list, exc_info=None):
            status_holder[0] = int(status.split(" ", 1)[0])
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording_start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        return _ClosingIterator(body, lambda: self._record(method, path, status_holder, started))

    def _record(self, method: str, path: str, status: list[int], started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        record = RequestRecord(time.time(), method, path, status[0], duration_ms)
        self.history.add(record)
        if self.echo:
            console.say("http", f"{method} {path} -> {status[0]} in {duration_ms:.1f} ms")


class _ClosingIterator:
    """Passes the body through and runs `on_close` once the server closes it."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._body = body
        self._iter: Iterator[bytes] = iter(body)
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return self._iter

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
