"""The emulator's small parts: settings, request history, reloader and dev watcher stamps."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from emulator.config import load_emulator_settings
from emulator.errors import EmulatorConfigError
from emulator.history import RequestHistory, RequestRecord
from emulator.reloader import changed_paths, snapshot
from emulator.server import gateway_env_defaults
from extgate.dev_cmd import snapshot as dev_snapshot


def test_settings_defaults_and_overrides(tmp_path):
    (tmp_path / "docker-compose.runner-dev.yml").write_text("")
    (tmp_path / "sub").mkdir()
    settings = load_emulator_settings({"EXTGATE_PROJECT_ROOT": str(tmp_path / "sub")})
    assert settings.port == 3000 and settings.runner_mode == "docker"
    assert settings.project_root == tmp_path  # found by walking up to the Compose file
    assert settings.state_dir == tmp_path / ".extgate"
    assert settings.runner_url == "http://127.0.0.1:8085"
    custom = load_emulator_settings(
        {
            "EXTGATE_PROJECT_ROOT": str(tmp_path),
            "RUNNER_DOCKER_PORT": "9911",
            "EMULATOR_RELOAD": "0",
        }
    )
    assert custom.runner_url == "http://127.0.0.1:9911" and custom.reload is False


@pytest.mark.parametrize(
    ("name", "value", "example"),
    [
        ("EMULATOR_PORT", "70000", "EMULATOR_PORT=3000"),
        ("EMULATOR_RUNNER", "podman", "EMULATOR_RUNNER=docker"),
        ("EMULATOR_RELOAD", "maybe", "EMULATOR_RELOAD=1"),
        ("EMULATOR_APP_UPSTREAM", "localhost:5173", "EMULATOR_APP_UPSTREAM=http://127.0.0.1:5173"),
        ("RUNNER_DOCKER_PORT", "x", "RUNNER_DOCKER_PORT=8085"),
    ],
)
def test_bad_settings_name_the_variable_and_an_example(name, value, example):
    with pytest.raises(EmulatorConfigError) as info:
        load_emulator_settings({name: value})
    assert info.value.variable == name
    assert str(info.value).startswith(name) and str(info.value).endswith(example)


def test_gateway_defaults_point_the_docker_backend_at_the_runner(tmp_path, monkeypatch):
    monkeypatch.delenv("RUNNER_BACKEND", raising=False)
    settings = load_emulator_settings(
        {"EXTGATE_PROJECT_ROOT": str(tmp_path), "RUNNER_DOCKER_PORT": "9912"}
    )
    defaults = gateway_env_defaults(settings)
    assert defaults["RUNNER_BACKEND"] == "docker"
    assert defaults["RUNNER_DOCKER_HOST"] == "http://127.0.0.1:9912"
    assert defaults["INSTALL_REGISTRY_FILE"] == str(settings.state_dir / "installs.json")
    monkeypatch.setenv("RUNNER_BACKEND", "knative")
    assert "RUNNER_DOCKER_HOST" not in gateway_env_defaults(settings)


def test_history_is_a_bounded_ring_newest_first():
    history = RequestHistory(size=3)
    for i in range(5):
        history.add(RequestRecord(float(i), "GET", f"/p{i}", 200, 1.0))
    assert [r["path"] for r in history.recent()] == ["/p4", "/p3", "/p2"]
    assert [r["path"] for r in history.recent(1)] == ["/p4"]


def test_reloader_sees_edits_new_and_deleted_files_only_in_watched_trees(tmp_path: Path):
    watched = tmp_path / "functions"
    watched.mkdir()
    (watched / "a.py").write_text("1")
    (watched / "__pycache__").mkdir()
    before = snapshot([watched])
    (watched / "__pycache__" / "a.cpython-311.pyc").write_text("x")
    (watched / "notes.txt").write_text("ignored")
    assert changed_paths(before, snapshot([watched]), tmp_path) == []
    (watched / "b.py").write_text("2")
    (watched / "a.py").unlink()
    assert changed_paths(before, snapshot([watched]), tmp_path) == [
        "functions/a.py",
        "functions/b.py",
    ]


def test_dev_watcher_ignores_build_outputs(tmp_path: Path):
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "app.js").write_text("x")
    (tmp_path / "app.py").write_text("x")
    for ignored in ("dist", "build", "__pycache__", ".git"):
        (tmp_path / ignored).mkdir()
        (tmp_path / ignored / "out.wasm").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    assert set(dev_snapshot(tmp_path)) == {"app.py", "ui/app.js"}


def test_successful_probe_lines_are_kept_out_of_the_console():
    from emulator.runner_container import is_probe_noise

    probe = b'{"logger":"gunicorn.access","method":"GET","path":"/healthz","status":200}'
    assert is_probe_noise(probe)
    assert not is_probe_noise(probe.replace(b"200", b"503"))
    assert not is_probe_noise(b'{"path":"/v1/execute","status":200}')
    assert not is_probe_noise(b"[INFO] GET /healthz 200 (not JSON)")


def test_a_runner_that_outlives_sigkill_is_one_line_not_a_traceback(capsys):
    from emulator.runner_process import _stop_process_group

    real = subprocess.Popen(["sleep", "60"], start_new_session=True)

    class Unkillable:
        """Never reaped, so its group stays alive, and waiting for it always times out."""

        pid = real.pid

        def poll(self):
            return None

        def wait(self, timeout=None):
            raise subprocess.TimeoutExpired("gunicorn", timeout)

    try:
        _stop_process_group(Unkillable(), grace_s=0.2)
    finally:
        real.kill()
        real.wait()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "did not exit" in lines[0] and str(real.pid) in lines[0]
