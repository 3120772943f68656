"""Restart the serving process when gateway or emulator source changes.

The supervising parent keeps the runner (container watchdog and log stream, or
the runner process) while the child that serves HTTP is replaced, so an edit to
`functions/` or `emulator/` never costs a runner restart or a recompile. Only those
two trees are watched (polling, once a second: no inotify limits, works on any
filesystem). If the first child exits by itself (port taken, bad configuration),
its exit code is returned; after a reload, a crash waits for the next edit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from emulator import console

ROLE_ENV = "EMULATOR_ROLE"
SERVER_ROLE = "server"
WATCHED_SUFFIXES = (".py", ".html")
POLL_S = 1.0


def snapshot(roots: list[Path]) -> dict[str, int]:
    stamps: dict[str, int] = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.suffix in WATCHED_SUFFIXES and "__pycache__" not in path.parts:
                try:
                    stamps[str(path)] = path.stat().st_mtime_ns
                except OSError:
                    continue
    return stamps


def changed_paths(before: dict[str, int], after: dict[str, int], root: Path) -> list[str]:
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return sorted(os.path.relpath(k, root) for k in keys)


class Reloader:
    """Owns the serving child; `stop()` ends it (called when the parent exits)."""

    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root
        self.roots = [project_root / "functions", project_root / "emulator"]
        self.child: subprocess.Popen[bytes] | None = None

    def run(self) -> int:
        stamps = snapshot(self.roots)
        reloaded = False
        while True:
            self.child = _spawn_server()
            code, stamps, edited = self._wait_for_exit_or_edit(stamps)
            if edited:
                shown = ", ".join(edited[:3])
                console.say("reload", f"{shown} changed; restarting (the runner keeps running)")
                self.stop()
                reloaded = True
                continue
            if not reloaded:
                return code
            console.say("reload", f"the emulator exited ({code}); it restarts on the next edit")
            stamps = self._wait_for_edit(stamps)

    def stop(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _wait_for_exit_or_edit(self, stamps: dict[str, int]):
        assert self.child is not None
        while True:
            code = self.child.poll()
            if code is not None:
                return code, stamps, []
            time.sleep(POLL_S)
            now = snapshot(self.roots)
            edited = changed_paths(stamps, now, self.project_root)
            if edited:
                return None, now, edited

    def _wait_for_edit(self, stamps: dict[str, int]) -> dict[str, int]:
        while True:
            time.sleep(POLL_S)
            now = snapshot(self.roots)
            if changed_paths(stamps, now, self.project_root):
                return now


def _spawn_server() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env[ROLE_ENV] = SERVER_ROLE
    return subprocess.Popen([sys.executable, "-m", "emulator"], env=env)
