"""wasmtime component engine: compile once per content hash, fresh instance per request."""

from runner.engine.capabilities import (
    DEFAULT_CAPABILITIES,
    KNOWN_CAPABILITIES,
    resolve_capabilities,
)
from runner.engine.component_cache import CacheStats
from runner.engine.engine import Engine
from runner.engine.invocation import GuestResponse, Invocation

__all__ = [
    "DEFAULT_CAPABILITIES",
    "KNOWN_CAPABILITIES",
    "CacheStats",
    "Engine",
    "GuestResponse",
    "Invocation",
    "resolve_capabilities",
]
