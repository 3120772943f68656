"""The process-wide gateway: settings, runner backend, install registry, logger.

Built once, on first use, under a lock; every target shares it so the runner's
keep-alive connection pool, the registry cache and the event replay store live for
the whole process. `reset_gateway` exists for tests and the emulator, which change
the environment; the next gateway starts with fresh ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from functions.backends import RunnerBackend, build_backend
from functions.config import Settings, load_settings
from functions.event_replay import EventReplayStore
from functions.identity import TenantResolver
from functions.install_registry import InstallRegistry, build_registry
from functions.request_log import RequestLogger


@dataclass(frozen=True)
class Gateway:
    settings: Settings
    backend: RunnerBackend
    registry: InstallRegistry
    tenants: TenantResolver
    log: RequestLogger
    replay: EventReplayStore

    def close(self) -> None:
        self.backend.close()
        self.registry.close()


def build_gateway(settings: Settings) -> Gateway:
    backend = build_backend(settings)
    return Gateway(
        settings=settings,
        backend=backend,
        registry=build_registry(settings),
        tenants=TenantResolver(settings),
        log=RequestLogger(backend.kind, settings.log_level),
        replay=EventReplayStore(
            ttl_s=settings.event_replay_ttl_s,
            max_entries=settings.event_replay_max_entries,
            in_flight_ttl_s=settings.timeout_s + 30,
        ),
    )


_lock = threading.Lock()
_gateway: Gateway | None = None


def get_gateway() -> Gateway:
    """The singleton; raises `ConfigError` if the environment is invalid."""
    global _gateway
    if _gateway is None:
        with _lock:
            if _gateway is None:
                _gateway = build_gateway(load_settings())
    return _gateway


def reset_gateway() -> None:
    """Close and forget the singleton; the next `get_gateway` re-reads the env."""
    global _gateway
    with _lock:
        if _gateway is not None:
            _gateway.close()
        _gateway = None
