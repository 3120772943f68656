"""Capability names: which the runner knows, which are always granted.

An install's `providers` list grants capabilities. Names are case-insensitive. A name
the runner does not know is refused with 400 `unknown_capabilities` before the guest
runs, so a typo never silently removes a grant.
"""

from __future__ import annotations

from collections.abc import Iterable

from runner.errors import UnknownCapabilities

CONTEXT_READ = "cap:context.read"
LOG_EMIT = "cap:log.emit"
SECRETS_GET = "cap:secrets.get"
HTTP_FETCH = "cap:http.fetch"
STORAGE_KV = "cap:storage.kv"
UI_PROXY = "cap:ui.proxy"

DEFAULT_CAPABILITIES = frozenset({CONTEXT_READ, LOG_EMIT})
KNOWN_CAPABILITIES = DEFAULT_CAPABILITIES | {SECRETS_GET, HTTP_FETCH, STORAGE_KV, UI_PROXY}


def resolve_capabilities(providers: Iterable[str]) -> frozenset[str]:
    """Lower-cased granted set including the defaults; raises `UnknownCapabilities`."""
    requested = {name.strip().lower() for name in providers if name and name.strip()}
    unknown = sorted(requested - KNOWN_CAPABILITIES)
    if unknown:
        raise UnknownCapabilities(", ".join(unknown))
    return frozenset(requested) | DEFAULT_CAPABILITIES
