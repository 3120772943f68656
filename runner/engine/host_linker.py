"""Link the `alga:extension` imports of a component to the per-request host.

One linker per compiled component, built once and never mutated afterwards, so
many threads can instantiate from it concurrently. Import functions are shared by
all requests; each call finds its request's `RequestHost` through the store it
runs in (`StoreRegistry`), which the engine binds for the duration of one call.

Expected failures become the interface's error variant (`HostCallError`). Any
other host exception is logged and becomes a trap with a fixed message; it is
never raised through wasmtime-py as a Python exception, because that path keeps
the exception in a process-global slot shared by all threads.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime.component import (
    Component,
    ComponentInstanceType,
    FuncType,
    Linker,
    LinkerInstance,
)

from runner.engine.wit_values import (
    context_to_wit,
    error_case,
    field,
    headers_from_wit,
    headers_to_wit,
    record,
)
from runner.host.errors import HostCallError

if TYPE_CHECKING:
    from runner.host.request_host import RequestHost
    from runner.host.values import StoredEntry

PACKAGE = "alga:extension"
log = logging.getLogger("extgate.runner.engine")


def _store_key(store: wasmtime.Storelike) -> int:
    return ctypes.cast(store._context(), ctypes.c_void_p).value or 0


class StoreRegistry:
    """Maps a live store to the `RequestHost` of the request running in it."""

    def __init__(self) -> None:
        self._hosts: dict[int, RequestHost] = {}
        self._lock = threading.Lock()

    @contextmanager
    def bind(self, store: wasmtime.Store, host: RequestHost) -> Iterator[None]:
        key = _store_key(store)
        with self._lock:
            self._hosts[key] = host
        try:
            yield
        finally:
            with self._lock:
                self._hosts.pop(key, None)

    def lookup(self, store: wasmtime.Storelike) -> RequestHost:
        with self._lock:
            host = self._hosts.get(_store_key(store))
        if host is None:
            raise wasmtime.WasmtimeError("host import called outside a request")
        return host


def build_linker(engine: wasmtime.Engine, component: Component, registry: StoreRegistry) -> Linker:
    """WASI p2 + the generic `alga:extension` imports; other non-WASI imports trap.

    Traps are defined function by function from the component's own import list
    (not with `define_unknown_imports_as_traps`, which would also shadow WASI imports
    of a newer 0.2.x patch version that the WASI implementation serves by semver).
    """
    linker = Linker(engine)
    linker.add_wasip2()
    implemented = _interfaces()
    with linker.root() as root:
        for interface, functions in implemented.items():
            with root.add_instance(f"{PACKAGE}/{interface}") as instance:
                _add_functions(instance, interface, functions, registry)
        for name, function_names in _unimplemented_imports(engine, component, implemented):
            with root.add_instance(name) as instance:
                for function_name in function_names:
                    instance.add_func(function_name, _trap(f"{name}#{function_name}"))
    return linker


def _unimplemented_imports(
    engine: wasmtime.Engine, component: Component, implemented: dict[str, FunctionTable]
) -> Iterator[tuple[str, list[str]]]:
    """(instance name, function names) of non-WASI imports the runner does not serve."""
    served = {f"{PACKAGE}/{interface}" for interface in implemented}
    for name, item in component.type.imports(engine).items():
        if name.startswith("wasi:") or name in served:
            continue
        instance_type = item.ty
        if not isinstance(instance_type, ComponentInstanceType):
            continue
        exports = instance_type.exports(engine)
        yield name, [n for n, export in exports.items() if isinstance(export.ty, FuncType)]


def _trap(label: str) -> Callable[..., Any]:
    def call(store: wasmtime.Storelike, *args: Any) -> Any:
        raise wasmtime.WasmtimeError(
            f"unimplemented import: {label} is not provided by this runner"
        )

    return call


# name -> (implementation, error case used for unexpected host failures or None to trap)
HostImpl = Callable[..., Any]
FunctionTable = dict[str, tuple[HostImpl, str | None]]


def _add_functions(
    instance: LinkerInstance, interface: str, functions: FunctionTable, registry: StoreRegistry
) -> None:
    for name, (impl, fallback_case) in functions.items():
        instance.add_func(name, _host_call(f"{interface}.{name}", impl, fallback_case, registry))


def _host_call(
    label: str, impl: HostImpl, fallback_case: str | None, registry: StoreRegistry
) -> Callable[..., Any]:
    def call(store: wasmtime.Storelike, *args: Any) -> Any:
        host = registry.lookup(store)
        try:
            return impl(host, *args)
        except HostCallError as err:
            return error_case(err.case, err.payload)
        except Exception:
            log.exception("host import %s failed", label)
            if fallback_case is not None:
                return error_case(fallback_case, "host error")
            raise wasmtime.WasmtimeError(f"host import {label} failed") from None

    return call


def _entry_to_wit(entry: StoredEntry) -> Any:
    return record(
        namespace=entry.namespace, key=entry.key, value=entry.value, revision=entry.revision
    )


def _fetch(host: RequestHost, request: Any) -> Any:
    response = host.http_fetch(
        str(field(request, "method")),
        str(field(request, "url")),
        headers_from_wit(field(request, "headers")),
        field(request, "body"),
    )
    return record(
        status=response.status, headers=headers_to_wit(response.headers), body=response.body
    )


def _put(host: RequestHost, entry: Any) -> Any:
    stored = host.storage_put(
        field(entry, "namespace"), field(entry, "key"), field(entry, "value"), entry.revision
    )
    return _entry_to_wit(stored)


def _log(level: str) -> HostImpl:
    def emit(host: RequestHost, message: str) -> None:
        host.log_message(level, message)

    return emit


def _interfaces() -> dict[str, FunctionTable]:
    return {
        "context": {
            "get-context": (lambda h: context_to_wit(h.get_context()), None),
            "get-config": (
                lambda h: [record(key=k, value=v) for k, v in h.get_config()],
                None,
            ),
        },
        "secrets": {
            "get": (lambda h, key: h.secrets_get(key), "unavailable"),
            "list-keys": (lambda h: h.secrets_list_keys(), "unavailable"),
        },
        "http": {"fetch": (_fetch, "transport")},
        "storage": {
            "get": (lambda h, ns, key: _entry_to_wit(h.storage_get(ns, key)), "internal"),
            "put": (_put, "internal"),
            "delete": (lambda h, ns, key: h.storage_delete(ns, key), "internal"),
            "list-entries": (
                lambda h, ns, prefix: [_entry_to_wit(e) for e in h.storage_list(ns, prefix)],
                "internal",
            ),
        },
        "logging": {
            "log-info": (_log("info"), None),
            "log-warn": (_log("warn"), None),
            "log-error": (_log("error"), None),
        },
        "ui-proxy": {
            "call-route": (lambda h, route, payload: h.ui_call_route(route, payload), "unsupported")
        },
    }
