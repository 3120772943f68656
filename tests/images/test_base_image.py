"""scripts/build-base-image.sh: idempotent, and its image honours the slim-python contract."""

from __future__ import annotations

import pytest

from tests.images.docker_cli import LOCAL_BASE_IMAGE, inspect, sh

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]


def test_base_image_script_is_idempotent(docker_engine: None) -> None:
    script = "scripts/build-base-image.sh"
    sh("env", "FORCE=0", script, timeout=1400)  # builds it if this machine has none yet
    image_id = inspect(LOCAL_BASE_IMAGE)["Id"]
    again = sh("env", "FORCE=0", script)
    assert f"skip: {LOCAL_BASE_IMAGE} already exists" in again.stdout
    assert "debootstrap" not in again.stdout and "docker import" not in again.stdout
    assert inspect(LOCAL_BASE_IMAGE)["Id"] == image_id


def test_base_image_matches_the_slim_python_contract(docker_engine: None) -> None:
    sh("env", "FORCE=0", "scripts/build-base-image.sh", timeout=1400)
    config = inspect(LOCAL_BASE_IMAGE)["Config"]
    assert {"LANG=C.UTF-8", "PYTHONUNBUFFERED=1"} <= set(config["Env"])
    probe = (
        "python --version; python -m venv /tmp/v && /tmp/v/bin/python -c 'import ssl' && echo venv;"
        " ls /var/lib/apt/lists | wc -l;"
        " find /usr/share/doc -type f ! -name copyright | wc -l;"
        " ls /usr/share/locale | wc -l"
    )
    out = sh("docker", "run", "--rm", LOCAL_BASE_IMAGE, "sh", "-c", probe).stdout.split()
    assert out[0] == "Python" and out[1].startswith("3.11.")
    assert out[2:] == ["venv", "0", "0", "0"]
