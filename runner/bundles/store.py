"""Where bundle archives come from: a directory or an HTTP(S) base (S3-compatible GET).

Both share the layout ``{base}/sha256/<hex>/bundle.tar.zst`` and one small
interface, chosen once from ``BUNDLE_STORE_BASE`` by :func:`build_bundle_store`;
callers never branch on the kind. Stores only move bytes: hash verification and
extraction are the cache's job.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

import requests
from requests.adapters import HTTPAdapter

from runner.bundles.errors import BundleNotFound, BundleStoreUnavailable
from runner.config import RunnerSettings

_CHUNK = 1024 * 1024


def object_path(hex_digest: str) -> str:
    """Relative location of a bundle inside any store."""
    return f"sha256/{hex_digest}/bundle.tar.zst"


class BundleStore(Protocol):
    kind: str

    def fetch(self, hex_digest: str, dest: Path) -> None:
        """Write the archive for ``hex_digest`` to ``dest`` (streamed)."""

    def check(self) -> None:
        """Raise :class:`BundleStoreUnavailable` when the store cannot be reached."""


class DirectoryBundleStore:
    """A local directory, e.g. the Docker volume ``.extgate/bundles``."""

    kind = "directory"

    def __init__(self, base: Path, max_bytes: int) -> None:
        self.base = base
        self.max_bytes = max_bytes

    def fetch(self, hex_digest: str, dest: Path) -> None:
        source = self.base / object_path(hex_digest)
        try:
            with source.open("rb") as src:
                if _size(src) > self.max_bytes:
                    raise BundleStoreUnavailable("bundle archive exceeds the size limit")
                with dest.open("wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
        except FileNotFoundError:
            raise BundleNotFound("bundle not found in the bundle store") from None
        except OSError as exc:
            raise BundleStoreUnavailable(f"bundle store read failed: {exc.strerror}") from None

    def check(self) -> None:
        if not self.base.is_dir():
            raise BundleStoreUnavailable("bundle store directory does not exist")


def _size(fh: BinaryIO) -> int:
    return os.fstat(fh.fileno()).st_size


class HttpBundleStore:
    """An HTTP(S) base answering ``GET {base}/sha256/<hex>/bundle.tar.zst``.

    One pooled session per process; every request has a connect/read timeout and
    the download is streamed with a byte cap. Messages never include the URL (it
    may carry a presigned query or internal host name).
    """

    kind = "http"

    def __init__(self, base_url: str, timeout_s: float, max_bytes: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(5.0, timeout_s), timeout_s)
        self.max_bytes = max_bytes
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(pool_maxsize=16))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=16))

    def fetch(self, hex_digest: str, dest: Path) -> None:
        url = f"{self.base_url}/{object_path(hex_digest)}"
        try:
            with self.session.get(url, stream=True, timeout=self.timeout) as resp:
                if resp.status_code in (403, 404):
                    raise BundleNotFound(f"bundle store answered {resp.status_code}")
                if resp.status_code != 200:
                    raise BundleStoreUnavailable(f"bundle store answered {resp.status_code}")
                written = 0
                with dest.open("wb") as out:
                    for chunk in resp.iter_content(_CHUNK):
                        written += len(chunk)
                        if written > self.max_bytes:
                            raise BundleStoreUnavailable("bundle archive exceeds the size limit")
                        out.write(chunk)
        except requests.Timeout:
            raise BundleStoreUnavailable("bundle store timed out") from None
        except requests.RequestException as exc:
            raise BundleStoreUnavailable(
                f"bundle store unreachable: {type(exc).__name__}"
            ) from None

    def check(self) -> None:
        """Reachable means it answers HTTP at all (S3 answers 403 on a bare prefix)."""
        try:
            self.session.head(self.base_url + "/", timeout=(2.0, 3.0)).close()
        except requests.RequestException as exc:
            raise BundleStoreUnavailable(
                f"bundle store unreachable: {type(exc).__name__}"
            ) from None


def build_bundle_store(settings: RunnerSettings) -> BundleStore:
    """Pick the store implementation once, from ``BUNDLE_STORE_BASE``."""
    if settings.bundle_store_is_http:
        return HttpBundleStore(
            settings.bundle_store_base, settings.bundle_fetch_timeout_s, settings.bundle_max_bytes
        )
    return DirectoryBundleStore(Path(settings.bundle_store_base), settings.bundle_max_bytes)
