"""The Docker supervisor's edges that need no engine: the SDK's failures become one
`RunnerSupervisionError` line, never a traceback or an engine URL."""

from __future__ import annotations

import docker.errors
import pytest
import requests

from emulator.config import EmulatorSettings
from emulator.errors import RunnerSupervisionError
from emulator.runner_container import DockerRunnerSupervisor


class _Containers:
    """`client.containers` whose listing fails the way the SDK's does."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure

    def list(self, all=False, filters=None, ignore_removed=False):
        if self.failure is not None:
            raise self.failure
        if not ignore_removed:
            # The SDK inspects each listed id; Compose removed one in between.
            raise docker.errors.NotFound("No such container: 0123abcd")
        return []


class _Client:
    def __init__(self, failure: Exception | None = None) -> None:
        self.containers = _Containers(failure)


def supervisor(tmp_path, failure: Exception | None = None) -> DockerRunnerSupervisor:
    settings = EmulatorSettings(state_dir=tmp_path)
    return DockerRunnerSupervisor(settings, client=_Client(failure))


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
