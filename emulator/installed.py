"""The extensions installed in the local file registry, for the host and status pages.

The gateway's `InstallRegistry` answers one (tenant, extension) lookup at a time,
which is all production needs. The emulator also wants the whole list, and locally
the registry is always the JSON file `extgate bundle install` writes, so it reads
that file, validating each record with the gateway's own `Install.from_record`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from functions.install_registry import Install, registry_records


@dataclass(frozen=True)
class InstalledList:
    installs: tuple[Install, ...]
    problems: tuple[str, ...]


def list_installs(registry_file: Path) -> InstalledList:
    """Every valid install in `registry_file`; bad records are reported, not raised."""
    try:
        records = registry_records(registry_file.read_text())
    except FileNotFoundError:
        return InstalledList((), ())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return InstalledList((), (f"{registry_file.name} is unreadable or not JSON",))
    except ValueError:
        return InstalledList((), (f"{registry_file.name} has no 'installs' list",))
    installs, problems = [], []
    for index, record in enumerate(records):
        try:
            installs.append(Install.from_record(record))
        except ValueError as exc:
            problems.append(f"install #{index}: {exc}")
    installs.sort(key=lambda i: (i.tenant_id, i.extension_id))
    return InstalledList(tuple(installs), tuple(problems))
