"""Write side of the file install registry the gateway reads (``.extgate/installs.json``).

Format (docs/architecture.md): ``{"installs": [{tenant_id, extension_id, install_id,
version_id, content_hash, config, providers, allowed_hosts, installed_at}]}``.
Writers hold an ``flock`` on a sibling lock file (``extgate dev --watch`` and a
manual install may race) and replace the file atomically, so the gateway never
reads a half-written registry. One entry per (tenant, extension): re-installing
replaces it and keeps its ``install_id``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from extgate.errors import CliError
from functions.install_registry import registry_records


def new_install_id() -> str:
    return f"inst_{secrets.token_hex(8)}"


def read_installs(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        return registry_records(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CliError(f"install registry {path} is not valid JSON; fix or delete it") from None
    except ValueError:
        raise CliError(f'install registry {path} must look like {{"installs": [...]}}') from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_install(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Insert or replace the entry for ``(tenant_id, extension_id)``; return what was written."""
    with _locked(path):
        installs = read_installs(path)
        key = (entry["tenant_id"], entry["extension_id"])
        kept = []
        for existing in installs:
            if (existing.get("tenant_id"), existing.get("extension_id")) == key:
                entry = {**entry, "install_id": existing.get("install_id") or entry["install_id"]}
            else:
                kept.append(existing)
        kept.append(entry)
        kept.sort(key=lambda e: (str(e.get("tenant_id")), str(e.get("extension_id"))))
        _write_atomic(path, {"installs": kept})
    return entry
