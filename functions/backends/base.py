"""The `RunnerBackend` seam and the typed values that cross it.

A backend answers one question — where is the runner and how is it addressed —
and speaks the runner's wire contract (`POST /v1/execute`, `GET /ext-ui/...`,
`GET /healthz`). Routes only ever see this Protocol, never a backend kind.
Backends raise only `functions.errors.RunnerError` subclasses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ExecuteRequest:
    """One extension invocation, already resolved against its install."""

    request_id: str
    tenant_id: str
    extension_id: str
    content_hash: str
    method: str
    path: str
    install_id: str | None = None
    version_id: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    # The client's allowlisted headers; the routing headers (request id, tenant,
    # extension, idempotency key) are added from the fields above on the wire.
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    idempotency_key: str | None = None
    timeout_ms: int | None = None
    memory_mb: int | None = None
    fuel: int | None = None
    providers: tuple[str, ...] = ()
    secret_envelope: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class ExecuteResult:
    """The runner's inner response: the extension's status, headers and body.

    `error` is set when the runner itself failed (e.g. `bundle_fetch_failed: ...`);
    it is free text from the runner and must not reach clients verbatim.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    error: str | None = None


@dataclass(frozen=True)
class RunnerHealth:
    """`reachable` means the runner answered its `/healthz` with 200 (ready to serve)."""

    reachable: bool
    latency_ms: float | None
    status_code: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class BackendIdentity:
    """What a backend is, safe to show: `base_url` never carries credentials."""

    kind: str
    base_url: str | None


@dataclass
class UiAssetResponse:
    """A streamed runner response; the caller must iterate `body` or call `close`."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterator[bytes]
    close: Any = None

    def release(self) -> None:
        if self.close is not None:
            self.close()


@runtime_checkable
class RunnerBackend(Protocol):
    """Everything the gateway needs from a runner, independent of where it runs."""

    kind: str

    def identity(self) -> BackendIdentity: ...

    def execute(self, request: ExecuteRequest) -> ExecuteResult: ...

    def fetch_ui_asset(
        self, path: str, query: str, method: str, headers: Mapping[str, str]
    ) -> UiAssetResponse: ...

    def ui_url(
        self, extension_id: str, content_hash: str, path: str = "", tenant: str | None = None
    ) -> str: ...

    def health(self) -> RunnerHealth: ...

    def close(self) -> None: ...
