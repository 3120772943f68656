"""The emulator's exception tree; `emulator.error_responses` maps it to JSON.

    EmulatorError
    ├── EmulatorConfigError       bad EMULATOR_* / RUNNER_DOCKER_PORT value (start-up)
    ├── RunnerSupervisionError    the runner could not be provided (start-up)
    │   └── DockerUnavailableError   no Docker engine answers
    └── EmulatorRequestError      a request the emulator itself answers with an error
        ├── TargetUnavailableError    501 target_not_available
        ├── AppUpstreamUnreachable    502 app_upstream_unreachable
        └── AppUpstreamTimeout        504 app_upstream_timeout

Start-up errors print one line and exit; request errors become
`{"error", "message", "requestId"}` responses. Gateway errors never pass through
here: the mounted targets answer those themselves, exactly as in production.
"""

from __future__ import annotations


class EmulatorError(Exception):
    """Base of everything the emulator raises on purpose."""


class EmulatorConfigError(EmulatorError):
    """A setting is malformed; the message is one line naming the variable."""

    def __init__(self, variable: str, problem: str, example: str) -> None:
        self.variable = variable
        super().__init__(f"{variable} {problem}; example: {variable}={example}")


class RunnerSupervisionError(EmulatorError):
    """The runner could not be started or found; the message says what to do."""


class DockerUnavailableError(RunnerSupervisionError):
    """No Docker engine is reachable from this process."""


class EmulatorRequestError(EmulatorError):
    """An error the emulator answers itself; `status` and `code` are stable."""

    status = 500
    code = "emulator_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TargetUnavailableError(EmulatorRequestError):
    status = 501
    code = "target_not_available"


class AppUpstreamUnreachable(EmulatorRequestError):
    status = 502
    code = "app_upstream_unreachable"


class AppUpstreamTimeout(EmulatorRequestError):
    status = 504
    code = "app_upstream_timeout"
