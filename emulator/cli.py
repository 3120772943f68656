"""`python -m emulator` / `extgate emulate`: start the runner, then serve :3000.

The supervising process makes sure the runner is up (Compose container, local
process, or external), starts its log stream and watchdog, then either serves
itself or hands serving to a child it restarts on source edits (`Reloader`). Every
start-up failure is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from emulator import console
from emulator.config import RUNNER_MODES, load_emulator_settings
from emulator.errors import DockerUnavailableError, EmulatorError
from emulator.reloader import ROLE_ENV, SERVER_ROLE, Reloader
from emulator.server import port_problem, serve
from emulator.supervisor import build_supervisor

EXIT_CONFIG = 2
EXIT_RUNNER = 3


def add_emulate_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's flags; shared by `python -m emulator` and `extgate emulate`."""
    parser.add_argument("--port", type=int, help="listen port (EMULATOR_PORT, default 3000)")
    parser.add_argument(
        "--runner", choices=RUNNER_MODES, help="how the runner is provided (EMULATOR_RUNNER)"
    )
    parser.add_argument(
        "--no-reload", action="store_true", help="do not restart on edits (EMULATOR_RELOAD=0)"
    )
    parser.add_argument(
        "--app-upstream",
        metavar="URL",
        help="proxy every other path to this app dev server (EMULATOR_APP_UPSTREAM)",
    )


DESCRIPTION = (
    "Serve every gateway function on one local origin (default http://localhost:3000) "
    "with the extension runner in Docker. Each flag overrides its environment variable; "
    "docs/development_guide.md lists them all."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=DESCRIPTION)
    add_emulate_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    overrides = {
        "EMULATOR_PORT": str(args.port) if args.port else None,
        "EMULATOR_RUNNER": args.runner,
        "EMULATOR_RELOAD": "0" if args.no_reload else None,
        "EMULATOR_APP_UPSTREAM": args.app_upstream,
    }
    os.environ.update({k: v for k, v in overrides.items() if v is not None})
    try:
        settings = load_emulator_settings()
    except EmulatorError as exc:
        print(f"emulator: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    supervisor = build_supervisor(settings)
    if os.environ.get(ROLE_ENV) == SERVER_ROLE:
        return serve(settings, supervisor)
    problem = port_problem(settings.host, settings.port)
    if problem:
        print(f"emulator: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    reloader = Reloader(settings.project_root) if settings.reload else None
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        settings.pid_file.write_text(str(os.getpid()))  # `make emulate-down` stops us by it
        supervisor.ensure_running()
        supervisor.start_background()
        if reloader is not None:
            return reloader.run()
        return serve(settings, supervisor)
    except DockerUnavailableError as exc:
        print(
            f"emulator: {exc}; start Docker, or run the runner as a local process: "
            "EMULATOR_RUNNER=process make emulate",
            file=sys.stderr,
        )
        return EXIT_RUNNER
    except EmulatorError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return EXIT_RUNNER
    except KeyboardInterrupt:
        return 0
    finally:
        _ignore_stop_signals()  # every wait below is bounded; a second Ctrl-C must not cut it short
        if reloader is not None:
            reloader.stop()
        supervisor.close()
        if settings.pid_file.exists() and settings.pid_file.read_text().strip() == str(os.getpid()):
            settings.pid_file.unlink(missing_ok=True)
        if supervisor.mode == "docker":
            console.say("emulator", "stopped; the runner container is left running")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _ignore_stop_signals() -> None:
    """From here on the process is stopping: another Ctrl-C or SIGTERM would abort the
    clean-up half way and leave the runner process group holding its port."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
