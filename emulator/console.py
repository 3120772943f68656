"""Console output with a source prefix per line, safe across threads.

Several threads write to the emulator's terminal at once (HTTP access lines,
the runner container's log stream, the watchdog). Each line is written whole
under one lock, prefixed by where it came from (`[emulator]`, `[runner]`,
`[http]`), coloured only when stdout is a terminal. A `progress` line on a
terminal stays open (it rewrites itself); any other line first ends it, so
nothing is glued onto it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

_COLOURS = {"emulator": "36", "runner": "35", "http": "32", "watchdog": "33", "reload": "34"}
_lock = threading.Lock()
_progress_open = False  # a progress line on the terminal still waits for its newline
_last_progress: tuple[str, str] | None = None  # (source, message); guarded by _lock


def say(source: str, message: str, *, stream: TextIO | None = None) -> None:
    """Print `message` (possibly several lines) with a `[source]` prefix per line."""
    out = stream or sys.stdout
    prefix = _prefix(source, out)
    lines = message.rstrip("\n").splitlines() or [""]
    with _lock:
        _close_progress_line()
        for line in lines:
            out.write(f"{prefix} {line}\n")
        out.flush()


def progress(source: str, message: str) -> None:
    """A status line that rewrites itself on a terminal and prints plainly elsewhere.

    The same message twice in a row is shown once.
    """
    global _last_progress, _progress_open
    out = sys.stdout
    with _lock:
        if (source, message) == _last_progress:
            return
        _last_progress = (source, message)
        if out.isatty():
            out.write(f"\r\x1b[2K{_prefix(source, out)} {message}")
            _progress_open = True
        else:
            out.write(f"{_prefix(source, out)} {message}\n")
        out.flush()


def end_progress() -> None:
    """Finish a `progress` line so the next output starts on a fresh line."""
    global _last_progress
    with _lock:
        _last_progress = None
        _close_progress_line()


def wait_until_ready(
    step: Callable[[float], str | None], timeout_s: float, interval_s: float = 0.5
) -> bool:
    """Call `step(elapsed_s)` every `interval_s` until it returns None (ready: True) or
    `timeout_s` passes (False). A string it returns is shown as the `[emulator]`
    progress line; the progress line is ended however the wait ends."""
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < timeout_s:
            waiting = step(elapsed)
            if waiting is None:
                return True
            progress("emulator", waiting)
            time.sleep(interval_s)
        return False
    finally:
        end_progress()


def _close_progress_line() -> None:
    """End an open progress line; the caller holds `_lock`."""
    global _progress_open
    if _progress_open:
        sys.stdout.write("\n")
        sys.stdout.flush()
        _progress_open = False


def _prefix(source: str, out: TextIO) -> str:
    label = f"[{source}]"
    colour = _COLOURS.get(source)
    if colour and out.isatty():
        return f"\x1b[{colour}m{label}\x1b[0m"
    return label
