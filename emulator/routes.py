"""The emulator's route table: one list, used to register routes and to print them."""

from __future__ import annotations

from dataclasses import dataclass

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Route:
    rules: tuple[str, ...]
    methods: tuple[str, ...]
    handler: str  # a target in functions.main, or "emulator:<view>"
    shown_as: str

    @property
    def is_target(self) -> bool:
        return not self.handler.startswith("emulator:")


def route_table(app_upstream: str | None) -> tuple[Route, ...]:
    """Routes in match order; the last one depends on EMULATOR_APP_UPSTREAM."""
    routes = [
        Route(("/api/ext/<path:rest>",), ALL_METHODS, "execute", "/api/ext/<ext>/<path>"),
        Route(("/runner/<path:rest>",), ALL_METHODS, "ui_proxy", "/runner/<path>"),
        Route(("/healthz", "/livez"), ("GET", "HEAD"), "health", "/healthz, /livez"),
        Route(("/events",), ("POST",), "execute_event", "POST /events"),
        Route(("/_emulator/",), ("GET",), "emulator:status_page", "/_emulator/"),
        Route(
            ("/_emulator/status.json",), ("GET",), "emulator:status_json", "/_emulator/status.json"
        ),
        Route(("/_emulator/host",), ("GET",), "emulator:host_page", "/_emulator/host"),
    ]
    if app_upstream:
        routes.append(Route(("/", "/<path:rest>"), ALL_METHODS, "emulator:app_proxy", "/*"))
    else:
        routes.append(Route(("/",), ("GET", "HEAD"), "emulator:host_page", "/"))
    return tuple(routes)


def format_route_table(routes: tuple[Route, ...], app_upstream: str | None) -> str:
    width = max(len(r.shown_as) for r in routes)
    lines = []
    for route in routes:
        if route.is_target:
            where = f"functions.main.{route.handler}"
        elif route.handler == "emulator:app_proxy":
            where = f"app dev server {app_upstream}"
        else:
            where = f"emulator ({route.handler.split(':', 1)[1].replace('_', ' ')})"
        lines.append(f"  {route.shown_as.ljust(width)}  ->  {where}")
    return "\n".join(lines)
