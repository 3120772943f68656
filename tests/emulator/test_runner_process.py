"""The process supervisor's bookkeeping, with a stand-in for gunicorn (`sleep`)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from emulator.config import EmulatorSettings
from emulator.runner_process import ProcessRunnerSupervisor


class SlowPidFile:
    """The pid file on a slow disk: writing it takes long enough for close() to run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write_text(self, text: str) -> None:
        time.sleep(0.3)
        self.path.write_text(text)

    def unlink(self, missing_ok: bool = False) -> None:
        self.path.unlink(missing_ok=missing_ok)


def test_close_while_spawning_leaves_no_stale_pid_file(tmp_path, monkeypatch):
    pid_file = SlowPidFile(tmp_path / "runner.pid")
    monkeypatch.setattr(ProcessRunnerSupervisor, "pid_file", property(lambda self: pid_file))
    runner = ProcessRunnerSupervisor(EmulatorSettings(state_dir=tmp_path))
    closer = threading.Thread(target=runner.close)
    real_popen = subprocess.Popen

    def popen(command, **kwargs):
        proc = real_popen(["sleep", "60"], **kwargs)
        closer.start()  # the emulator begins to stop right as the runner starts
        return proc

    monkeypatch.setattr("emulator.runner_process.subprocess.Popen", popen)
    try:
        assert runner._spawn()
        closer.join(timeout=30)
    finally:
        runner._proc.kill()
        runner._proc.wait()
    assert not pid_file.path.exists()
