"""Capture what a guest writes to stdout/stderr, bounded, for the log and diagnosis.

Guests have no terminal: their output is kept (last `limit` bytes per stream),
written to the runner log when the call fails, and inspected to tell an
out-of-memory failure from other traps. It is never returned to the client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import wasmtime

DEFAULT_LIMIT = 16 * 1024
_OOM_MARKERS = ("MemoryError", "memory allocation of", "out of memory")


class GuestOutput:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._streams: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        self._lock = threading.Lock()

    def wasi_config(self) -> wasmtime.WasiConfig:
        """WASI for one request: no args, env, files, stdin or network; output captured."""
        config = wasmtime.WasiConfig()
        config.stdout_custom = self._writer("stdout")
        config.stderr_custom = self._writer("stderr")
        return config

    def text(self, stream: str) -> str:
        with self._lock:
            return self._streams[stream].decode("utf-8", errors="replace")

    def reports_out_of_memory(self) -> bool:
        stderr = self.text("stderr")
        return any(marker in stderr for marker in _OOM_MARKERS)

    def _writer(self, stream: str) -> Callable[[bytes], None]:
        def write(data: bytes) -> None:
            with self._lock:
                buffer = self._streams[stream]
                buffer.extend(data)
                if len(buffer) > self._limit:
                    del buffer[: len(buffer) - self._limit]

        return write
