"""What one execute call asks of the engine, and what the guest answered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_TIMEOUT_MS = 5_000
DEFAULT_MEMORY_MB = 256


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One request for one extension install, already authenticated and routed.

    `providers` are the raw capability names of the install; the engine lower-cases
    them, adds the defaults and refuses unknown names before instantiating anything.
    `fuel=None` means no instruction budget (the wall-clock timeout still applies).
    """

    request_id: str | None
    tenant_id: str
    extension_id: str
    install_id: str | None = None
    version_id: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    url: str = "/"
    headers: Sequence[tuple[str, str]] = ()
    body: bytes | None = None
    providers: Iterable[str] = frozenset()
    allowed_hosts: Sequence[str] = ()
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    memory_mb: int = DEFAULT_MEMORY_MB
    fuel: int | None = None
    secret_envelope: Mapping[str, object] | None = None


@dataclass(frozen=True)
class GuestResponse:
    """The guest's `execute-response`: relayed as the inner response of `/v1/execute`."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
