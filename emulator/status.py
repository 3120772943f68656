"""What `/_emulator/status.json` reports, assembled in one place.

Routes, the gateway's backend identity and a live health probe, the runner as the
supervisor sees it (container or process state), installed extensions with the
iframe URL the backend gives each, and the last requests. Nothing here carries a
token: backend identities are credential-free by contract, and request history
keeps no query strings.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from emulator.history import RequestHistory
from emulator.installed import list_installs
from emulator.routes import Route
from emulator.supervisor import RunnerSupervisor


@dataclass
class EmulatorContext:
    """Everything the emulator's own views need, built once at start-up."""

    routes: tuple[Route, ...]
    supervisor: RunnerSupervisor
    history: RequestHistory
    gateway: Any  # functions.gateway.Gateway
    app_upstream: str | None
    port: int
    reload: bool
    started_at: float = field(default_factory=time.time)


def extensions(ctx: EmulatorContext) -> dict[str, Any]:
    """Installed extensions for the dev tenant (the one a browser gets) and the rest."""
    settings = ctx.gateway.settings
    listed = list_installs(settings.install_registry_file)
    tenant = settings.dev_tenant
    items = []
    for install in listed.installs:
        items.append(
            {
                "tenant_id": install.tenant_id,
                "extension_id": install.extension_id,
                "version_id": install.version_id,
                "content_hash": install.content_hash,
                "installed_at": install.installed_at,
                "ui_url": ctx.gateway.backend.ui_url(
                    install.extension_id, install.content_hash, "", install.tenant_id
                ),
                "reachable_from_browser": install.tenant_id == tenant,
            }
        )
    return {
        "registry_file": str(settings.install_registry_file),
        "dev_tenant": tenant,
        "installs": items,
        "problems": list(listed.problems),
    }


def status(ctx: EmulatorContext) -> dict[str, Any]:
    backend = ctx.gateway.backend
    identity = backend.identity()
    health = backend.health()
    return {
        "emulator": {
            "pid": os.getpid(),
            "port": ctx.port,
            "reload": ctx.reload,
            "uptime_s": round(time.time() - ctx.started_at, 1),
            "app_upstream": ctx.app_upstream,
        },
        "routes": [
            {"path": r.shown_as, "methods": list(r.methods), "handler": r.handler}
            for r in ctx.routes
        ],
        "backend": {
            "kind": identity.kind,
            "base_url": identity.base_url,
            "health": {
                "reachable": health.reachable,
                "latency_ms": health.latency_ms,
                "status_code": health.status_code,
                "detail": health.detail,
            },
        },
        "runner": ctx.supervisor.describe(),
        "extensions": extensions(ctx),
        "requests": ctx.history.recent(50),
    }
