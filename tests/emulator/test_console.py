"""Console output: progress lines neither repeat nor swallow the next line."""

from __future__ import annotations

import io

import pytest

from emulator import console


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stdout(monkeypatch):
    def use(stream: io.StringIO) -> io.StringIO:
        monkeypatch.setattr("sys.stdout", stream)
        return stream

    yield use
    console.end_progress()  # no state leaks into the next test


def test_a_repeated_progress_message_is_printed_once(stdout):
    out = stdout(io.StringIO())
    for message in ("waiting (0s)", "waiting (0s)", "waiting (1s)", "waiting (1s)"):
        console.progress("emulator", message)
    assert out.getvalue().splitlines() == ["[emulator] waiting (0s)", "[emulator] waiting (1s)"]


def test_a_line_said_during_progress_starts_on_its_own_line(stdout):
    out = stdout(Terminal())
    console.progress("emulator", "waiting (0s)")
    console.say("runner", "booting")
    console.say("runner", "listening")
    lines = out.getvalue().split("\n")
    assert lines[0].endswith("waiting (0s)")
    assert lines[1].endswith("[runner]\x1b[0m booting")
    assert lines[2].endswith("[runner]\x1b[0m listening") and lines[3] == ""


def test_wait_until_ready_ends_its_progress_line_however_it_ends(stdout):
    out = stdout(Terminal())
    answers = iter(["starting", "starting", None])
    assert console.wait_until_ready(lambda _: next(answers), timeout_s=10, interval_s=0)
    assert out.getvalue().count("starting") == 1 and out.getvalue().endswith("\n")

    out = stdout(Terminal())

    def fails(elapsed: float) -> str:
        if elapsed > 0.05:
            raise RuntimeError("the runner exited")
        return "starting"

    with pytest.raises(RuntimeError):
        console.wait_until_ready(fails, timeout_s=10, interval_s=0.01)
    assert out.getvalue().endswith("\n")

    out = stdout(Terminal())
    assert not console.wait_until_ready(lambda _: "starting", timeout_s=0.05, interval_s=0.01)
    assert out.getvalue().endswith("\n")
