"""The Docker supervisor's edges that need no engine: the SDK's failures become one
`RunnerSupervisionError` line, never a traceback or an engine URL."""

from __future__ import annotations

import threading

import docker.errors
import pytest
import requests

from emulator.config import EmulatorSettings
from emulator.errors import RunnerSupervisionError
from emulator.runner_container import DockerRunnerSupervisor
from tests.support.loopback import wait_until


class _Containers:
    """`client.containers` whose listing fails the way the SDK's does."""

    def __init__(self, failure: Exception | None = None, found: list | None = None) -> None:
        self.failure = failure
        self.found = found or []

    def list(self, all=False, filters=None, ignore_removed=False):
        if self.failure is not None:
            raise self.failure
        if not ignore_removed:
            # The SDK inspects each listed id; Compose removed one in between.
            raise docker.errors.NotFound("No such container: 0123abcd")
        return self.found


class _StoppedContainer:
    """An exited container whose `start()` fails with `failure`."""

    id = "0123abcd"
    name = "extgate-dev-extension-runner-1"
    status = "exited"
    attrs: dict = {}

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def start(self) -> None:
        raise self.failure


class _Client:
    def __init__(self, failure: Exception | None = None, found: list | None = None) -> None:
        self.containers = _Containers(failure, found)


def supervisor(
    tmp_path, failure: Exception | None = None, found: list | None = None, **settings
) -> DockerRunnerSupervisor:
    settings = EmulatorSettings(state_dir=tmp_path, **settings)
    return DockerRunnerSupervisor(settings, client=_Client(failure, found))


def test_a_container_removed_while_listing_is_skipped(tmp_path):
    assert supervisor(tmp_path).find_container() is None


@pytest.mark.parametrize(
    "failure",
    [
        docker.errors.APIError("500 Server Error for http+docker://localhost/v1.43/containers"),
        requests.ConnectionError("http+docker://localhost/v1.43/containers/json"),
    ],
)
def test_docker_api_failures_name_only_the_exception_type(tmp_path, failure):
    runner = supervisor(tmp_path, failure)
    with pytest.raises(RunnerSupervisionError) as info:
        runner.find_container()
    assert str(info.value) == f"docker API: {type(failure).__name__}"
    described = runner.describe()
    assert described["status"] == "unknown"
    assert described["detail"] == f"docker API: {type(failure).__name__}"
    assert "localhost" not in str(described)


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (
            docker.errors.APIError("500 Server Error for http+docker://localhost/v1.43/start"),
            "docker API: APIError",
        ),
        (OSError("connection to http+docker://localhost/v1.43/start reset"), "OSError"),
    ],
)
def test_the_watchdog_reports_a_failed_restart_without_engine_urls(
    tmp_path, capsys, failure, shown
):
    runner = supervisor(tmp_path, found=[_StoppedContainer(failure)], watchdog_interval_s=0.01)
    watching = threading.Thread(target=runner._watch, daemon=True)
    printed: list[str] = []

    def reported() -> bool:
        printed.append(capsys.readouterr().out)
        return "could not bring the runner back" in "".join(printed)

    watching.start()
    try:
        wait_until(reported, 5, "the watchdog's report")
    finally:
        runner.close()
        watching.join(5)
    printed.append(capsys.readouterr().out)
    assert f"could not bring the runner back: {shown}\n" in "".join(printed)
    assert "localhost" not in "".join(printed)
