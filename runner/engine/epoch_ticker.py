"""The clock behind wall-clock timeouts.

wasmtime's epoch interruption checks a counter at loop back-edges and function
entries; a daemon thread bumps it every tick. A store's deadline is a number of
ticks, so a guest spinning in a loop traps within one tick of its deadline without
any signal handling, and without holding the GIL (the wasm runs outside Python).
"""

from __future__ import annotations

import threading

import wasmtime


class EpochTicker:
    """Increments the engine epoch every `tick_ms` on a daemon thread until `stop()`."""

    def __init__(self, engine: wasmtime.Engine, tick_ms: int) -> None:
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.tick_ms = tick_ms
        self._engine = engine
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wasm-epoch-ticker", daemon=True)
        self._thread.start()

    def ticks_for(self, timeout_ms: int) -> int:
        """Deadline in ticks for a timeout; at least one tick, rounded up."""
        return max(1, -(-timeout_ms // self.tick_ms))

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        interval = self.tick_ms / 1000.0
        while not self._stopped.wait(interval):
            self._engine.increment_epoch()
