"""Process-wide host services, and the per-request `RequestHost` built from them."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from runner.host.guest_log import GUEST_LOGGER_NAME, GuestLog
from runner.host.http_fetch import OutboundHttp
from runner.host.request_host import RequestHost
from runner.host.secrets import parse_secret_envelope
from runner.host.storage import SqliteKeyValueStore
from runner.host.values import ContextData

if TYPE_CHECKING:
    from runner.engine.invocation import Invocation

STORAGE_FILE = "storage.sqlite3"


class HostServices:
    """Built once per process: the storage file, the HTTP session and the log sink."""

    def __init__(
        self,
        data_dir: Path,
        *,
        fetch_timeout_s: float = 10.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.storage = SqliteKeyValueStore(Path(data_dir) / STORAGE_FILE)
        self.outbound = OutboundHttp(timeout_s=fetch_timeout_s)
        self.logger = logger or logging.getLogger(GUEST_LOGGER_NAME)

    def open_request(self, invocation: Invocation, granted: frozenset[str]) -> RequestHost:
        """Host for one call. Raises `SecretDecryptFailed` for an unreadable envelope."""
        context = ContextData(
            request_id=invocation.request_id,
            tenant_id=invocation.tenant_id,
            extension_id=invocation.extension_id,
            install_id=invocation.install_id,
            version_id=invocation.version_id,
        )
        log = GuestLog(
            self.logger,
            {
                "request_id": invocation.request_id,
                "tenant_id": invocation.tenant_id,
                "extension_id": invocation.extension_id,
                "install_id": invocation.install_id,
            },
        )
        return RequestHost(
            context=context,
            config=invocation.config,
            granted=granted,
            secrets=parse_secret_envelope(invocation.secret_envelope),
            allowed_hosts=invocation.allowed_hosts,
            storage=self.storage,
            outbound=self.outbound,
            log=log,
            deadline=time.monotonic() + invocation.timeout_ms / 1000.0,
        )

    def close(self) -> None:
        self.storage.close()
