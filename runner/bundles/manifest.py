"""Parse and validate ``manifest.json`` (format in docs/architecture.md).

Validation is strict about shape and lenient about extra keys, so a newer
manifest still loads on an older runner. Every error names the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.bundles.errors import ManifestError

RUNTIME = "wasm-component/v1"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_CAPABILITY = re.compile(r"cap:[a-z0-9][a-z0-9._-]*")
_HOST = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str


@dataclass(frozen=True)
class Manifest:
    name: str
    publisher: str
    version: str
    runtime: str
    capabilities: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    ui_entry: str | None
    endpoints: tuple[Endpoint, ...]


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("manifest.json not found") from None
    return parse_manifest(raw)


def parse_manifest(raw: bytes | str) -> Manifest:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest.json is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError("manifest.json must be a JSON object")
    name = _string(data, "name")
    if not NAME_PATTERN.fullmatch(name):
        raise ManifestError("manifest.json: 'name' must match [a-z0-9][a-z0-9-]{0,62}")
    runtime = _string(data, "runtime")
    if runtime != RUNTIME:
        raise ManifestError(f"manifest.json: 'runtime' must be {RUNTIME!r}, got {runtime!r}")
    return Manifest(
        name=name,
        publisher=_string(data, "publisher"),
        version=_string(data, "version"),
        runtime=runtime,
        capabilities=_capabilities(data.get("capabilities", [])),
        allowed_hosts=_allowed_hosts(data.get("http", {})),
        ui_entry=_ui_entry(data.get("ui")),
        endpoints=_endpoints(data.get("api", {})),
    )


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"manifest.json: '{key}' must be a non-empty string")
    return value.strip()


def _string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"manifest.json: '{field}' must be a list of strings")
    return value


def _capabilities(value: Any) -> tuple[str, ...]:
    caps = [c.strip().lower() for c in _string_list(value, "capabilities")]
    bad = [c for c in caps if not _CAPABILITY.fullmatch(c)]
    if bad:
        raise ManifestError(f"manifest.json: capabilities must look like 'cap:name', got {bad}")
    return tuple(dict.fromkeys(caps))


def _allowed_hosts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, dict):
        raise ManifestError("manifest.json: 'http' must be an object")
    hosts = [
        h.strip().lower() for h in _string_list(value.get("allowedHosts", []), "http.allowedHosts")
    ]
    bad = [h for h in hosts if not _HOST.fullmatch(h)]
    if bad:
        raise ManifestError(
            f"manifest.json: http.allowedHosts entries must be host names, got {bad}"
        )
    return tuple(hosts)


def _ui_entry(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError("manifest.json: 'ui' must be an object")
    if value.get("type", "iframe") != "iframe":
        raise ManifestError("manifest.json: ui.type must be 'iframe'")
    entry = value.get("entry", "ui/index.html")
    if not isinstance(entry, str) or not entry.startswith("ui/") or ".." in entry.split("/"):
        raise ManifestError("manifest.json: ui.entry must be a path under ui/, e.g. ui/index.html")
    return entry


def _endpoints(value: Any) -> tuple[Endpoint, ...]:
    if not isinstance(value, dict):
        raise ManifestError("manifest.json: 'api' must be an object")
    items = value.get("endpoints", [])
    if not isinstance(items, list):
        raise ManifestError("manifest.json: api.endpoints must be a list")
    endpoints = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ManifestError(f"manifest.json: api.endpoints[{i}] must be an object")
        method = str(item.get("method", "")).upper()
        path = item.get("path")
        if method not in HTTP_METHODS:
            raise ManifestError(f"manifest.json: api.endpoints[{i}].method {method!r} is not valid")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ManifestError(f"manifest.json: api.endpoints[{i}].path must start with '/'")
        endpoints.append(Endpoint(method, path))
    return tuple(endpoints)
