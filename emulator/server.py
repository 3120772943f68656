"""Serve the emulator app on its port: threaded, one request per thread.

Before `functions.main` is imported, the gateway's environment gets the emulator's
defaults (RUNNER_BACKEND=docker aimed at the runner's published port, the dev
tenant, the local install registry) unless the developer set them, so switching
backends is only an environment change and a restart.
"""

from __future__ import annotations

import errno
import logging
import os

from werkzeug.serving import make_server

from emulator import console
from emulator.app import create_app
from emulator.config import EmulatorSettings
from emulator.history import RequestHistory
from emulator.routes import format_route_table, route_table
from emulator.status import EmulatorContext
from emulator.supervisor import RunnerSupervisor
from emulator.targets import load_targets


def gateway_env_defaults(settings: EmulatorSettings) -> dict[str, str]:
    """The gateway variables the emulator sets when the developer did not."""
    defaults = {
        "RUNNER_BACKEND": "docker",
        "EXT_DEV_TENANT": "dev",
        "INSTALL_REGISTRY_FILE": str(settings.state_dir / "installs.json"),
    }
    if os.environ.get("RUNNER_BACKEND", "docker").strip().lower() == "docker":
        defaults["RUNNER_DOCKER_HOST"] = settings.runner_url
    return defaults


def apply_gateway_env_defaults(settings: EmulatorSettings) -> None:
    for name, value in gateway_env_defaults(settings).items():
        if not os.environ.get(name, "").strip():
            os.environ[name] = value


def port_problem(host: str, port: int) -> str | None:
    """A one-line reason the port cannot be bound, or None when it is free."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} is already in use (another emulator or app?); "
                    f"stop it or pick another: EMULATOR_PORT={port + 1}"
                )
            return f"cannot listen on {host}:{port} ({exc.strerror})"
    return None


def _prefix_gateway_log() -> None:
    """The gateway's JSON request lines get a `[gateway]` prefix like every console line."""
    from functions.request_log import LOGGER_NAME

    for handler in logging.getLogger(LOGGER_NAME).handlers:
        handler.setFormatter(logging.Formatter("[gateway] %(message)s"))


def serve(settings: EmulatorSettings, supervisor: RunnerSupervisor) -> int:
    apply_gateway_env_defaults(settings)
    targets = load_targets()
    from functions.gateway import get_gateway

    gateway = get_gateway()
    _prefix_gateway_log()
    routes = route_table(settings.app_upstream)
    ctx = EmulatorContext(
        routes=routes,
        supervisor=supervisor,
        history=RequestHistory(settings.history_size),
        gateway=gateway,
        app_upstream=settings.app_upstream,
        port=settings.port,
        reload=settings.reload,
    )
    app = create_app(ctx, targets)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # [http] lines replace its access log
    try:
        server = make_server(settings.host, settings.port, app, threaded=True)
    except OSError:
        console.say("emulator", port_problem(settings.host, settings.port) or "cannot listen")
        return 2
    identity = gateway.backend.identity()
    console.say(
        "emulator",
        f"serving http://localhost:{settings.port}  (backend {identity.kind} -> "
        f"{identity.base_url}; status at /_emulator/)\n"
        + format_route_table(routes, settings.app_upstream),
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        gateway.close()
    return 0
