"""Bound how long a request waits for its guest, even inside a blocking host call.

Epoch interruption stops guest *code* at its deadline, but not a guest blocked
inside a host call: a Python guest's `time.sleep(3600)` waits in WASI's clock poll,
where no epoch check runs, and only traps once the call returns. So guest calls run
on a bounded pool of worker threads; the request thread waits for the deadline plus
a small grace and then answers `execute_timeout` itself. The abandoned call keeps
its worker until the blocking call returns, then traps on its expired deadline;
`abandoned()` counts those. The pool size caps how many workers stuck guests can hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

Result = TypeVar("Result")

DEFAULT_GRACE_S = 0.5


class GuestWatchdog:
    def __init__(self, max_workers: int, grace_s: float = DEFAULT_GRACE_S) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wasm-guest")
        self._grace_s = grace_s
        self._abandoned = 0
        self._lock = threading.Lock()

    def run(self, call: Callable[[], Result], timeout_s: float) -> Result:
        """`call()` on a worker; `TimeoutError` if it has not finished by the deadline."""
        future = self._pool.submit(call)
        try:
            return future.result(timeout=timeout_s + self._grace_s)
        except FutureTimeout:
            if future.cancel():  # still queued behind busy workers: it never runs
                raise TimeoutError("guest call did not start before its deadline") from None
            with self._lock:
                self._abandoned += 1
            future.add_done_callback(self._release)
            raise TimeoutError("guest call blocked past its deadline") from None

    def abandoned(self) -> int:
        """Calls answered as timed out whose guest has not finished yet."""
        with self._lock:
            return self._abandoned

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _release(self, _future: Future) -> None:
        with self._lock:
            self._abandoned -= 1
