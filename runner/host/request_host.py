"""The imports of one request, bound to its tenant, extension and granted capabilities.

The engine calls these methods from the guest's import calls. Capability checks
happen here, at the single entry point of each import: a call without the grant
raises the interface's `denied` / `not-allowed` case instead of trapping. Storage
scope comes from the runner's context, never from guest arguments.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from runner.engine.capabilities import HTTP_FETCH, SECRETS_GET, STORAGE_KV, UI_PROXY
from runner.host.errors import HostCallError
from runner.host.guest_log import GuestLog
from runner.host.http_fetch import OutboundHttp
from runner.host.secrets import SecretValues
from runner.host.storage import SqliteKeyValueStore
from runner.host.values import ContextData, FetchedResponse, StoredEntry


class RequestHost:
    """Host state of one execute call; created and discarded by the engine per request."""

    def __init__(
        self,
        *,
        context: ContextData,
        config: Mapping[str, str],
        granted: frozenset[str],
        secrets: SecretValues,
        allowed_hosts: Sequence[str],
        storage: SqliteKeyValueStore,
        outbound: OutboundHttp,
        log: GuestLog,
        deadline: float,
    ) -> None:
        self.context = context
        self.granted = granted
        self.log = log
        self._config = dict(config)
        self._secrets = secrets
        self._allowed_hosts = tuple(allowed_hosts)
        self._storage = storage
        self._outbound = outbound
        self._deadline = deadline
        self._scope = (context.tenant_id, context.extension_id)

    # context (cap:context.read, always granted)
    def get_context(self) -> ContextData:
        return self.context

    def get_config(self) -> list[tuple[str, str]]:
        return sorted(self._config.items())

    # logging (cap:log.emit, always granted)
    def log_message(self, level: str, message: str) -> None:
        self.log.emit(level, message)

    # secrets
    def secrets_get(self, key: str) -> str:
        self._require(SECRETS_GET, "denied")
        value = self._secrets.get(key)
        if value is None:
            raise HostCallError("missing")
        return value

    def secrets_list_keys(self) -> list[str]:
        self._require(SECRETS_GET, "denied")
        return self._secrets.keys()

    # http
    def http_fetch(
        self, method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes | None
    ) -> FetchedResponse:
        self._require(HTTP_FETCH, "not-allowed")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise HostCallError("timeout")
        return self._outbound.fetch(method, url, headers, body, self._allowed_hosts, remaining)

    # storage
    def storage_get(self, namespace: str, key: str) -> StoredEntry:
        self._require(STORAGE_KV, "denied")
        return self._storage.get(self._scope, namespace, key)

    def storage_put(
        self, namespace: str, key: str, value: bytes, expected_revision: int | None
    ) -> StoredEntry:
        self._require(STORAGE_KV, "denied")
        return self._storage.put(self._scope, namespace, key, value, expected_revision)

    def storage_delete(self, namespace: str, key: str) -> bool:
        self._require(STORAGE_KV, "denied")
        return self._storage.delete(self._scope, namespace, key)

    def storage_list(self, namespace: str, prefix: str) -> list[StoredEntry]:
        self._require(STORAGE_KV, "denied")
        return self._storage.list_entries(self._scope, namespace, prefix)

    # ui-proxy
    def ui_call_route(self, route: str, payload: bytes | None) -> bytes:
        self._require(UI_PROXY, "not-allowed")
        raise HostCallError(
            "unsupported", "this runner has no host UI routes; serve data from the handler"
        )

    def _require(self, capability: str, denied_case: str) -> None:
        if capability not in self.granted:
            self.log.emit("warn", f"capability {capability} not granted", source="runner")
            raise HostCallError(denied_case)
