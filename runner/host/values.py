"""Plain values crossing the host/engine seam (no wasmtime types here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContextData:
    request_id: str | None
    tenant_id: str
    extension_id: str
    install_id: str | None
    version_id: str | None


@dataclass(frozen=True)
class StoredEntry:
    namespace: str
    key: str
    value: bytes
    revision: int


@dataclass(frozen=True)
class FetchedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
