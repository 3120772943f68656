"""Install a bundle locally: verify it, copy it into the store, record it, precompile.

The bundle is extracted into a temporary directory with the runner's own safe
extractor first, so an archive the runner would refuse is refused here, with
the same message, before anything is recorded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

from extgate.errors import CliError
from extgate.install_registry_file import new_install_id, record_install
from runner.bundles import BundleError, Manifest, format_content_hash, load_manifest, object_path
from runner.bundles.content_hash import sha256_file
from runner.bundles.extract import extract_bundle
from runner.bundles.manifest import NAME_PATTERN
from runner.bundles.pack import WASM

PREPARE_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class InstallRequest:
    bundle: Path
    tenant_id: str
    extension_id: str
    config: dict[str, str]
    store_dir: Path
    registry_file: Path
    runner_url: str | None
    service_token: str | None = None


@dataclass(frozen=True)
class InstallResult:
    content_hash: str
    store_path: Path
    prepare_note: str


def check_id(kind: str, value: str) -> None:
    """Ids follow the manifest's name rule: ``dev`` uses the manifest name as extension id."""
    if not NAME_PATTERN.fullmatch(value):
        raise CliError(
            f"invalid {kind} {value!r}: use lower-case letters, digits and '-', "
            "starting with a letter or digit, at most 63 characters (e.g. acme)"
        )


def inspect_bundle(bundle: Path) -> Manifest:
    """Validate the archive exactly as the runner will; return its manifest."""
    with tempfile.TemporaryDirectory(prefix="extgate-inspect-") as work:
        tree = Path(work)
        try:
            extract_bundle(bundle, tree)
            manifest = load_manifest(tree / "manifest.json")
        except BundleError as exc:
            raise CliError(f"{bundle}: {exc.message}") from None
        if not (tree / WASM).is_file():
            raise CliError(f"{bundle}: bundle has no {WASM}")
        return manifest


def copy_into_store(bundle: Path, store_dir: Path, hex_digest: str) -> Path:
    target = store_dir / object_path(hex_digest)
    if target.is_file() and sha256_file(target) == hex_digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".bundle-", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(bundle, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def request_prepare(runner_url: str, content_hash: str, token: str | None) -> str:
    """Ask the runner to fetch and compile now; a note for the author either way."""
    headers = {"x-runner-service-token": token} if token else {}
    url = runner_url.rstrip("/") + "/v1/prepare"
    try:
        resp = requests.post(
            url,
            json={"content_hash": content_hash},
            headers=headers,
            timeout=(2.0, PREPARE_TIMEOUT_S),
        )
    except requests.RequestException:
        return f"runner at {runner_url} is not reachable; it will compile on the first request"
    if resp.status_code == 200:
        return f"runner at {runner_url} precompiled the bundle"
    try:
        code = resp.json().get("error", resp.status_code)
    except ValueError:
        code = resp.status_code
    return f"runner at {runner_url} could not prepare the bundle ({code})"


def install_bundle(req: InstallRequest) -> InstallResult:
    check_id("tenant", req.tenant_id)
    check_id("extension", req.extension_id)
    if not req.bundle.is_file():
        raise CliError(f"bundle not found: {req.bundle}")
    manifest = inspect_bundle(req.bundle)
    hex_digest = sha256_file(req.bundle)
    content_hash = format_content_hash(hex_digest)
    store_path = copy_into_store(req.bundle, req.store_dir, hex_digest)
    record_install(
        req.registry_file,
        {
            "tenant_id": req.tenant_id,
            "extension_id": req.extension_id,
            "install_id": new_install_id(),
            "version_id": manifest.version,
            "content_hash": content_hash,
            "config": req.config,
            "providers": list(manifest.capabilities),
            "allowed_hosts": list(manifest.allowed_hosts),
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    note = (
        request_prepare(req.runner_url, content_hash, req.service_token)
        if req.runner_url
        else "precompile skipped (--no-prepare)"
    )
    return InstallResult(content_hash, store_path, note)
