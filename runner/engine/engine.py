"""The WebAssembly engine of the runner: compile once, instantiate fresh per request.

One `wasmtime.Engine` per process (compiled code and the epoch clock are shared);
for every request a new `Store` and component instance, so no guest state survives
between requests or leaks across tenants. Each store carries the request's limits:
a memory cap (`Store.set_limits`), an epoch deadline from `timeout_ms`, and fuel.

Isolation between concurrent requests: wasm runs outside the GIL, traps only end
their own store, a spinning guest is interrupted by the epoch deadline, and a guest
blocked in a host call past its deadline is answered by the watchdog
(`guest_watchdog.py`), so a misbehaving request cannot stall others or the process.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime.component import Component, ExportIndex, Linker

from runner.engine.capabilities import resolve_capabilities
from runner.engine.component_cache import CacheStats, ComponentCache
from runner.engine.epoch_ticker import EpochTicker
from runner.engine.guest_output import GuestOutput
from runner.engine.guest_watchdog import GuestWatchdog
from runner.engine.host_linker import StoreRegistry, build_linker
from runner.engine.invocation import GuestResponse, Invocation
from runner.engine.trap_translation import translate_guest_failure
from runner.engine.wit_values import (
    context_to_wit,
    field,
    headers_from_wit,
    headers_to_wit,
    record,
)
from runner.errors import EngineInitFailed, ExecuteFailed, ExecuteTimeout

if TYPE_CHECKING:
    from runner.host.request_host import RequestHost
    from runner.host.services import HostServices
    from runner.host.values import ContextData

HANDLER_EXPORT = "handler"
UNLIMITED_FUEL = 2**63 - 1
log = logging.getLogger("extgate.runner.engine")


@dataclass(frozen=True)
class PreparedComponent:
    """A compiled component with its (immutable) linker and the handler's export index."""

    component: Component
    linker: Linker
    handler: ExportIndex


class Engine:
    """Process-wide engine. Thread-safe: `prepare` and `execute` may run concurrently."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        epoch_tick_ms: int = 10,
        fuel_enabled: bool = True,
        max_components: int = 32,
        max_concurrent_guests: int = 32,
    ) -> None:
        config = wasmtime.Config()
        config.epoch_interruption = True
        config.consume_fuel = fuel_enabled
        self.fuel_enabled = fuel_enabled
        self._wasm = wasmtime.Engine(config)
        self._registry = StoreRegistry()
        self._cache: ComponentCache[PreparedComponent] = ComponentCache(
            self._wasm,
            Path(cache_dir),
            _engine_fingerprint(fuel_enabled),
            wrap=self._link,
            max_entries=max_components,
        )
        self._ticker = EpochTicker(self._wasm, epoch_tick_ms)
        self._watchdog = GuestWatchdog(max_concurrent_guests)

    def prepare(self, content_hash: str, wasm_path: Path) -> None:
        """Compile (or load the serialized copy of) a component; idempotent."""
        self._cache.get(content_hash, wasm_path)

    def is_compiled(self, content_hash: str) -> bool:
        return self._cache.contains(content_hash)

    def compiled_count(self) -> int:
        return len(self._cache)

    def cache_stats(self) -> CacheStats:
        return self._cache.stats()

    def serialized_path(self, content_hash: str) -> Path:
        """Where the compiled copy of `content_hash` lives on disk (for health checks)."""
        return self._cache.serialized_path(content_hash)

    def execute(
        self, content_hash: str, wasm_path: Path, invocation: Invocation, host: HostServices
    ) -> GuestResponse:
        """Run the guest's `handler` once on a fresh instance. Raises `RunnerError`s."""
        granted = resolve_capabilities(invocation.providers)
        prepared = self._cache.get(content_hash, wasm_path)
        # Opened after a possible compile so the request's deadline starts with the guest.
        request_host = host.open_request(invocation, granted)
        try:
            return self._watchdog.run(
                lambda: self._run(prepared, invocation, request_host),
                invocation.timeout_ms / 1000.0,
            )
        except TimeoutError as exc:
            request_host.log.emit("error", f"execute_timeout: {exc}", source="runner")
            raise ExecuteTimeout(f"guest exceeded {invocation.timeout_ms} ms") from None

    def abandoned_guests(self) -> int:
        """Guests answered as timed out but still blocked in a host call."""
        return self._watchdog.abandoned()

    def close(self) -> None:
        self._ticker.stop()
        self._watchdog.shutdown()

    def _link(self, component: Component) -> PreparedComponent:
        try:
            linker = build_linker(self._wasm, component, self._registry)
        except wasmtime.WasmtimeError as exc:
            log.warning("component does not link against the runner world: %s", exc)
            raise EngineInitFailed(
                "component does not match the alga:extension/runner world"
            ) from None
        handler = component.get_export_index(HANDLER_EXPORT)
        if handler is None:
            raise EngineInitFailed("component exports no handler")
        return PreparedComponent(component, linker, handler)

    def _run(
        self, prepared: PreparedComponent, invocation: Invocation, host: RequestHost
    ) -> GuestResponse:
        output = GuestOutput()
        store = wasmtime.Store(self._wasm)
        store.set_wasi(output.wasi_config())
        store.set_limits(memory_size=invocation.memory_mb * 1024 * 1024)
        store.set_epoch_deadline(self._ticker.ticks_for(invocation.timeout_ms))
        if self.fuel_enabled:
            store.set_fuel(invocation.fuel if invocation.fuel is not None else UNLIMITED_FUEL)
        try:
            with self._registry.bind(store, host):
                instance = prepared.linker.instantiate(store, prepared.component)
                handler = instance.get_func(store, prepared.handler)
                if handler is None:
                    raise ExecuteFailed("handler export is not a function")
                result = handler(store, _request_to_wit(invocation, host.context))
        except wasmtime.WasmtimeError as exc:
            error = translate_guest_failure(
                exc,
                output,
                timeout_ms=invocation.timeout_ms,
                memory_mb=invocation.memory_mb,
                fuel=invocation.fuel,
            )
            host.log.emit("error", f"{error.code}: {_root_cause(exc)}", source="runner")
            stderr = output.text("stderr").strip()
            if stderr:
                host.log.emit("error", stderr[-2000:], source="guest-stderr")
            raise error from None
        finally:
            del store
        return _response_from_wit(result)


def _root_cause(exc: wasmtime.WasmtimeError) -> str:
    """The line of wasmtime's error that says what happened (not the backtrace header)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if "Caused by:" in lines and lines.index("Caused by:") + 1 < len(lines):
        return lines[lines.index("Caused by:") + 1][:500]
    return lines[0][:500] if lines else "unknown error"


def _engine_fingerprint(fuel_enabled: bool) -> str:
    """Changes whenever serialized code from another engine would be incompatible."""
    basis = f"wasmtime={version('wasmtime')};epoch=1;fuel={int(fuel_enabled)}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _request_to_wit(invocation: Invocation, context: ContextData) -> Any:
    http = record(
        method=invocation.method.upper(),
        url=invocation.url,
        headers=headers_to_wit(invocation.headers),
        body=invocation.body,
    )
    return record(context=context_to_wit(context), http=http)


def _response_from_wit(result: Any) -> GuestResponse:
    status = int(field(result, "status"))
    if not 100 <= status <= 599:
        raise ExecuteFailed(f"guest answered invalid status {status}")
    body = field(result, "body")
    return GuestResponse(
        status=status,
        headers=headers_from_wit(field(result, "headers")),
        body=bytes(body) if body is not None else None,
    )
