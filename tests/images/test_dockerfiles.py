"""The Dockerfiles, parsed: default base image, wheelhouse-only installs, serving contract.

Docker is not needed; tests/images/test_images.py checks the built images themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.images.docker_cli import APP_UID, DOCKERFILES


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_default_base_is_the_official_python_image(name: str) -> None:
    steps = dockerfile_instructions(DOCKERFILES[name])
    first_from = next(i for i, (kw, _) in enumerate(steps) if kw == "FROM")
    args_before = [rest for kw, rest in steps[:first_from] if kw == "ARG"]
    assert args_before == ["BASE_IMAGE=python:3.11-slim-bookworm"]
    stages = [rest.split() for kw, rest in steps if kw == "FROM"]
    # Each stage starts from the ARG or from an earlier stage, so with the default ARG the
    # only image docker resolves is the official one; the final stage is a fresh base.
    names: set[str] = set()
    for stage in stages:
        assert stage[0] == "${BASE_IMAGE}" or stage[0] in names, stage
        if len(stage) == 3:
            assert stage[1].upper() == "AS"
            names.add(stage[2])
    assert stages[-1] == ["${BASE_IMAGE}"]
    last_from = max(i for i, (kw, _) in enumerate(steps) if kw == "FROM")
    final_copies = [rest for kw, rest in steps[last_from:] if kw == "COPY"]
    # The final image gets the built venv from earlier stages, never the wheelhouse itself.
    assert final_copies and all(c.startswith("--from=") for c in final_copies)
    assert not any("wheelhouse" in c for c in final_copies)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_installs_only_from_the_wheelhouse(name: str) -> None:
    runs = [rest for kw, rest in dockerfile_instructions(DOCKERFILES[name]) if kw == "RUN"]
    installs = [cmd for run in runs for cmd in run.split("&&") if "pip install" in cmd]
    assert installs, "expected pip installs"
    for cmd in installs:
        assert "--no-index" in cmd and "--find-links /wheelhouse/" in cmd, cmd
    copies = [rest for kw, rest in dockerfile_instructions(DOCKERFILES[name]) if kw == "COPY"]
    assert [c for c in copies if not c.startswith("--from=")] == [
        "build/wheelhouse/deps /wheelhouse/deps",
        "build/wheelhouse/project /wheelhouse/project",
    ]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_serving_contract(name: str) -> None:
    steps = dict(dockerfile_instructions(DOCKERFILES[name]))
    assert steps["EXPOSE"] == "8080"
    assert steps["USER"] == f"{APP_UID}:{APP_UID}"
    cmd = json.loads(steps["CMD"])
    assert cmd == ["gunicorn", "-c", f"python:{name}.gunicorn_conf", f"{name}.wsgi:app"]
    probe = "/healthz" if name == "runner" else "/livez"
    assert probe in steps["HEALTHCHECK"] and "PORT" in steps["HEALTHCHECK"]
