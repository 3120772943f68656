"""Compile each component once: in memory per content hash, on disk across restarts.

Compiling a componentize-py component takes seconds; deserializing its serialized
form takes milliseconds. The disk copy is keyed by the content hash and an engine
fingerprint (wasmtime version + the config that changes generated code), so a
wasmtime upgrade or a config change never loads incompatible machine code.

Trust: `Component.deserialize_file` loads native code, so `cache_dir` must be
writable only by the runner. Content hashes are validated (`parse_content_hash`)
before they become file names.

Concurrency: one lock per content hash, so concurrent first requests for the same
bundle compile once while different bundles compile in parallel.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import wasmtime
from wasmtime.component import Component

from runner.bundles.content_hash import parse_content_hash
from runner.errors import EngineInitFailed

log = logging.getLogger("extgate.runner.engine")

Prepared = TypeVar("Prepared")


@dataclass(frozen=True)
class CacheStats:
    """How components got into memory since this process started."""

    compiled_from_source: int
    loaded_from_disk: int


class ComponentCache(Generic[Prepared]):
    """LRU of prepared components, backed by serialized copies in `cache_dir`.

    `wrap` turns a freshly loaded `Component` into whatever the engine keeps per
    component (e.g. the component plus its linker); it runs once per load.
    """

    def __init__(
        self,
        engine: wasmtime.Engine,
        cache_dir: Path,
        fingerprint: str,
        wrap: Callable[[Component], Prepared],
        max_entries: int = 32,
    ) -> None:
        self._engine = engine
        self._dir = Path(cache_dir)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._fingerprint = fingerprint
        self._wrap = wrap
        self._max_entries = max_entries
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        self._lock = threading.Lock()
        self._hash_locks: dict[str, threading.Lock] = {}
        self._compiled = 0
        self._loaded = 0

    def get(self, content_hash: str, wasm_path: Path) -> Prepared:
        """The prepared component for `content_hash`, loading it at most once."""
        hex_digest = parse_content_hash(content_hash)
        with self._lock:
            cached = self._entries.get(hex_digest)
            if cached is not None:
                self._entries.move_to_end(hex_digest)
                return cached
            hash_lock = self._hash_locks.setdefault(hex_digest, threading.Lock())
        with hash_lock:
            with self._lock:
                cached = self._entries.get(hex_digest)
            if cached is not None:
                return cached
            prepared = self._wrap(self._load(hex_digest, Path(wasm_path)))
            with self._lock:
                self._entries[hex_digest] = prepared
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
                self._hash_locks.pop(hex_digest, None)
            return prepared

    def contains(self, content_hash: str) -> bool:
        with self._lock:
            return parse_content_hash(content_hash) in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(compiled_from_source=self._compiled, loaded_from_disk=self._loaded)

    def serialized_path(self, content_hash: str) -> Path:
        return self._serialized_path(parse_content_hash(content_hash))

    def _serialized_path(self, hex_digest: str) -> Path:
        return self._dir / f"{hex_digest}-{self._fingerprint}.cwasm"

    def _load(self, hex_digest: str, wasm_path: Path) -> Component:
        serialized = self._serialized_path(hex_digest)
        if serialized.is_file():
            try:
                component = Component.deserialize_file(self._engine, str(serialized))
            except wasmtime.WasmtimeError as exc:
                log.warning("discarding unreadable compiled component %s: %s", serialized, exc)
                serialized.unlink(missing_ok=True)
            else:
                with self._lock:
                    self._loaded += 1
                return component
        component = self._compile(wasm_path)
        with self._lock:
            self._compiled += 1
        self._store(component, serialized)
        return component

    def _compile(self, wasm_path: Path) -> Component:
        try:
            return Component.from_file(self._engine, wasm_path)
        except FileNotFoundError:
            raise EngineInitFailed("component file is missing") from None
        except wasmtime.WasmtimeError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else "invalid component"
            log.warning("component compile failed for %s: %s", wasm_path.name, exc)
            raise EngineInitFailed(first_line[:300]) from None

    def _store(self, component: Component, serialized: Path) -> None:
        """Write the serialized copy atomically; a failure only costs a recompile later."""
        partial = serialized.with_name(f".{serialized.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            partial.write_bytes(component.serialize())
            os.replace(partial, serialized)
        except OSError as exc:
            log.warning("could not cache compiled component %s: %s", serialized.name, exc)
            partial.unlink(missing_ok=True)
