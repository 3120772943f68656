"""Which headers cross the gateway, in each direction. Allowlists, never denylists.

Credentials (authorization, cookies, the runner service token) are never on any
list, so they cannot reach an extension or the runner's UI endpoint by accident.
All names here are lower-case; callers lower-case incoming names first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Client request -> `http.headers` in the execute call (runner contract section 2).
EXECUTE_REQUEST_HEADERS = frozenset(
    {"accept", "content-type", "accept-encoding", "user-agent", "x-request-id",
     "x-idempotency-key"}
)  # fmt: skip

# Extension response -> client.
EXECUTE_RESPONSE_HEADERS = frozenset(
    {"content-type", "cache-control", "x-ext-request-id", "x-ext-warning"}
)

# Client request -> runner `/ext-ui/...`.
UI_REQUEST_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "if-modified-since", "if-none-match",
     "range", "user-agent"}
)  # fmt: skip

# Never forwarded in either direction by a proxy (RFC 9110 section 7.6.1).
HOP_BY_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailer", "transfer-encoding", "upgrade"}
)  # fmt: skip

SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-runner-service-token",
     "x-api-key"}
)  # fmt: skip


def pick(headers: Mapping[str, str], allowed: frozenset[str]) -> dict[str, str]:
    """The allowed subset of `headers`, with lower-case names."""
    return {name.lower(): value for name, value in headers.items() if name.lower() in allowed}


def ui_response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Runner asset response headers minus hop-by-hop ones and any `Connection` names."""
    pairs = list(headers)
    # The serving stack sets its own Date/Server; a second copy would be a duplicate.
    dropped = set(HOP_BY_HOP_HEADERS) | {"set-cookie", "date", "server"}
    for name, value in pairs:
        if name.lower() == "connection":
            dropped |= {token.strip().lower() for token in value.split(",")}
    return [(name, value) for name, value in pairs if name.lower() not in dropped]
