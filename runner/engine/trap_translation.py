"""Translate a failed guest call into the runner's error tree, in one table.

    interrupt (epoch deadline)          -> ExecuteTimeout        504 execute_timeout
    all fuel consumed                   -> FuelExhausted         500 fuel_exhausted
    memory cap hit (grow refused, OOM)  -> MemoryLimitExceeded   500 memory_limit_exceeded
    any other trap                      -> ExecuteFailed         500 execute_failed
    import the linker cannot satisfy    -> EngineInitFailed      500 engine_init_failed

Messages are fixed strings plus the request's limits: wasmtime's own text carries
guest backtraces and is only logged.
"""

from __future__ import annotations

import wasmtime

from runner.engine.guest_output import GuestOutput
from runner.errors import (
    EngineInitFailed,
    ExecuteFailed,
    ExecuteTimeout,
    FuelExhausted,
    MemoryLimitExceeded,
    RunnerError,
)

_MEMORY_LIMIT_MARKERS = (
    "exceeds memory limits",
    "memory minimum size",
    "forcing trap when growing",
)


def translate_guest_failure(
    error: wasmtime.WasmtimeError,
    output: GuestOutput,
    *,
    timeout_ms: int,
    memory_mb: int,
    fuel: int | None,
) -> RunnerError:
    lowered = str(error).lower()
    if "matching implementation was not found" in lowered:
        return EngineInitFailed("component imports interfaces this runner does not provide")
    if "wasm trap: interrupt" in lowered:
        return ExecuteTimeout(f"guest exceeded {timeout_ms} ms")
    if "all fuel consumed" in lowered:
        return FuelExhausted(f"guest used its fuel budget of {fuel}")
    if any(m in lowered for m in _MEMORY_LIMIT_MARKERS) or output.reports_out_of_memory():
        return MemoryLimitExceeded(f"guest exceeded {memory_mb} MB")
    if "unimplemented import" in lowered:
        return ExecuteFailed("guest called an import this runner does not provide")
    return ExecuteFailed("guest trapped")
