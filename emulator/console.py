"""Console output with a source prefix per line, safe across threads.

Several threads write to the emulator's terminal at once (HTTP access lines,
the runner container's log stream, the watchdog). Each line is written whole
under one lock, prefixed by where it came from (`[emulator]`, `[runner]`,
`[http]`), coloured only when stdout is a terminal.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_COLOURS = {"emulator": "36", "runner": "35", "http": "32", "watchdog": "33", "reload": "34"}
_lock = threading.Lock()


def say(source: str, message: str, *, stream: TextIO | None = None) -> None:
    """Print `message` (possibly several lines) with a `[source]` prefix per line."""
    out = stream or sys.stdout
    prefix = _prefix(source, out)
    lines = message.rstrip("\n").splitlines() or [""]
    with _lock:
        for line in lines:
            out.write(f"{prefix} {line}\n")
        out.flush()


def progress(source: str, message: str) -> None:
    """A status line that rewrites itself on a terminal and prints plainly elsewhere."""
    out = sys.stdout
    if not out.isatty():
        say(source, message)
        return
    with _lock:
        out.write(f"\r\x1b[2K{_prefix(source, out)} {message}")
        out.flush()


def end_progress() -> None:
    """Finish a `progress` line so the next output starts on a fresh line."""
    if sys.stdout.isatty():
        with _lock:
            sys.stdout.write("\n")
            sys.stdout.flush()


def _prefix(source: str, out: TextIO) -> str:
    label = f"[{source}]"
    colour = _COLOURS.get(source)
    if colour and out.isatty():
        return f"\x1b[{colour}m{label}\x1b[0m"
    return label
