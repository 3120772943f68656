"""Test doubles for code that takes a clock or a compute callable.

- ``ManualClock(start=...)``: a clock that stands still until a test moves it
  (``clock.now += 61``); pass it wherever a ``clock=`` callable returning seconds
  is accepted.
- ``counting_compute(status)``: a compute callable answering ``{"status": status,
  "n": <call number>}``, and the list it appends to on every call, so a test can
  tell a fresh run (``n`` grows) from a replay (``n`` repeats).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def counting_compute(status: int = 200) -> tuple[Callable[[], dict[str, Any]], list[int]]:
    calls: list[int] = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"status": status, "n": len(calls)}

    return compute, calls
