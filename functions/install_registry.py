"""Which bundle serves (tenant, extension): the install registry.

Two implementations behind one Protocol, chosen once by `build_registry`:
`FileInstallRegistry` reads the JSON file the bundle tooling and the emulator write
(`INSTALL_REGISTRY_FILE`), reloading it when its mtime or size changes;
`HttpInstallRegistry` asks `GET {REGISTRY_BASE_URL}/installs/{tenant}/{extension}`
and keeps answers (including "not installed") for `REGISTRY_CACHE_TTL_S`, at most
`CACHE_MAX_ENTRIES` of them.
Records are validated when read: a bad content hash never reaches the runner.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import requests

from functions.config import Settings
from functions.errors import NotInstalled, RegistryUnavailable
from functions.expiring_map import ExpiringMap

CONTENT_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
CACHE_MAX_ENTRIES = 10_000
LIMIT_NAMES = ("timeout_ms", "memory_mb", "fuel")


def registry_records(text: str) -> list[Any]:
    """The records of a registry file's text, `{"installs": [...]}`, not yet validated.

    Raises `json.JSONDecodeError` when the text is not JSON and a plain `ValueError`
    when the top level has another shape; the gateway, the emulator and the CLI
    each word those failures for their own readers.
    """
    document = json.loads(text)
    records = document.get("installs") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise ValueError('top level must be {"installs": [...]}')
    return records


@dataclass(frozen=True)
class Install:
    tenant_id: str
    extension_id: str
    install_id: str
    version_id: str
    content_hash: str
    config: Mapping[str, str] = field(default_factory=dict)
    providers: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    installed_at: str | None = None
    limits: Mapping[str, int] = field(default_factory=dict)
    secret_envelope: Mapping[str, Any] | None = None

    @classmethod
    def from_record(cls, record: Any) -> Install:
        """Validate one registry record; raises `ValueError` naming the bad field."""
        if not isinstance(record, dict):
            raise ValueError("install record is not an object")
        strings = {}
        for name in ("tenant_id", "extension_id", "install_id", "version_id", "content_hash"):
            value = record.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"install field {name} must be a non-empty string")
            strings[name] = value
        if not CONTENT_HASH.match(strings["content_hash"].lower()):
            raise ValueError("install field content_hash must be sha256:<64 hex>")
        config = record.get("config") or {}
        if not isinstance(config, dict) or not all(isinstance(v, str) for v in config.values()):
            raise ValueError("install field config must be a string map")
        limits = record.get("limits") or {}
        if not isinstance(limits, dict) or not all(
            k in LIMIT_NAMES and _positive_int(v) for k, v in limits.items()
        ):
            raise ValueError(
                "install field limits must map timeout_ms/memory_mb/fuel to positive ints"
            )
        envelope = record.get("secret_envelope")
        if envelope is not None and not isinstance(envelope, dict):
            raise ValueError("install field secret_envelope must be an object")
        return cls(
            **strings | {"content_hash": strings["content_hash"].lower()},
            config={str(k): v for k, v in config.items()},
            providers=_string_tuple(record, "providers"),
            allowed_hosts=_string_tuple(record, "allowed_hosts"),
            installed_at=record.get("installed_at"),
            limits=limits,
            secret_envelope=envelope,
        )


def _positive_int(value: Any) -> bool:
    """What the runner accepts as a limit: `true` is an int to Python, not to the runner."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _string_tuple(record: dict[str, Any], name: str) -> tuple[str, ...]:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"install field {name} must be a list of strings")
    return tuple(value)


class InstallRegistry(Protocol):
    def lookup(self, tenant_id: str, extension_id: str) -> Install:
        """The install, or raise `NotInstalled` / `RegistryUnavailable`."""
        ...

    def close(self) -> None: ...


class FileInstallRegistry:
    """The JSON file `{"installs": [...]}`; re-read only when it changes on disk."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._installs: dict[tuple[str, str], Install] = {}

    def lookup(self, tenant_id: str, extension_id: str) -> Install:
        installs = self._current()
        try:
            return installs[(tenant_id, extension_id)]
        except KeyError:
            raise NotInstalled() from None

    def _current(self) -> dict[tuple[str, str], Install]:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return {}
        except OSError:
            raise RegistryUnavailable(detail="install registry file unreadable") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._installs = self._read()
                self._stamp = stamp
            return self._installs

    def _read(self) -> dict[tuple[str, str], Install]:
        try:
            records = registry_records(self._path.read_text(encoding="utf-8"))
            installs = [Install.from_record(record) for record in records]
        except (OSError, ValueError, KeyError) as exc:
            raise RegistryUnavailable(detail=f"install registry file invalid: {exc}") from None
        return {(i.tenant_id, i.extension_id): i for i in installs}

    def close(self) -> None:
        return None


class HttpInstallRegistry:
    """A registry service; answers are cached per (tenant, extension) for `ttl_s`.

    The extension id comes from the client's URL and misses are cached too, so the
    cache holds at most `max_entries` answers (oldest evicted first).
    """

    def __init__(
        self,
        base_url: str,
        ttl_s: float,
        timeout_s: float,
        max_entries: int = CACHE_MAX_ENTRIES,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._session = requests.Session()
        self._session.trust_env = False
        self._cache: ExpiringMap[tuple[str, str], Install | None] = ExpiringMap(max_entries)
        self._lock = threading.Lock()

    def lookup(self, tenant_id: str, extension_id: str) -> Install:
        key = (tenant_id, extension_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key, now)
        if cached is None:
            install = self._fetch(tenant_id, extension_id)
            with self._lock:
                self._cache.sweep(now)
                self._cache.put(key, install, now + self._ttl_s)
        else:
            install = cached.value
        if install is None:
            raise NotInstalled()
        return install

    def _fetch(self, tenant_id: str, extension_id: str) -> Install | None:
        url = (
            f"{self._base_url}/installs/{quote(tenant_id, safe='')}/{quote(extension_id, safe='')}"
        )
        try:
            response = self._session.get(url, timeout=self._timeout_s)
        except requests.RequestException as exc:
            raise RegistryUnavailable(detail=f"registry: {type(exc).__name__}") from None
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise RegistryUnavailable(detail=f"registry answered {response.status_code}")
            try:
                install = Install.from_record(response.json())
            except ValueError as exc:
                raise RegistryUnavailable(detail=f"registry record invalid: {exc}") from None
        if (install.tenant_id, install.extension_id) != (tenant_id, extension_id):
            raise RegistryUnavailable(detail="registry answered for another install")
        return install

    def close(self) -> None:
        self._session.close()


def build_registry(settings: Settings) -> InstallRegistry:
    if settings.registry_base_url:
        return HttpInstallRegistry(
            settings.registry_base_url, settings.registry_cache_ttl_s, settings.timeout_s
        )
    return FileInstallRegistry(settings.install_registry_file)
