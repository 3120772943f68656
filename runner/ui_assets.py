"""Resolve and describe an extension UI asset, Flask-free.

Security assumptions: the request path is attacker-controlled. It arrives
percent-decoded (WSGI), so ``%2e%2e`` and ``%2f`` are already ``..`` and ``/``
here and are caught by the segment rules; a ``%`` left after decoding means
double encoding and is refused too. Files are served only from the bundle's
``ui/`` directory, which is content-addressed and immutable once extracted, so
ETags can be memoised by absolute path.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from runner.bundles.content_hash import sha256_file
from runner.errors import AssetNotFound, AssetTooLarge, InvalidAssetPath

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "json": "application/json",
    "map": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "woff": "font/woff",
    "woff2": "font/woff2",
}
INDEX = "index.html"
_EXTENSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'"
)


@dataclass(frozen=True)
class UiAsset:
    path: Path
    size: int
    content_type: str
    etag: str

    @property
    def is_html(self) -> bool:
        return self.path.suffix.lower() == ".html"


def check_extension_id(extension_id: str) -> None:
    if not _EXTENSION_ID.fullmatch(extension_id):
        raise InvalidAssetPath("invalid extension id")


def sanitize_asset_path(raw: str) -> PurePosixPath:
    """Return a safe relative path (possibly empty) or raise 400 ``invalid_path``."""
    if "\\" in raw or "%" in raw or not raw.isprintable():
        raise InvalidAssetPath("path contains forbidden characters")
    if raw.startswith("/"):
        raise InvalidAssetPath("absolute paths are not allowed")
    segments = [s for s in raw.split("/")]
    if segments and segments[-1] == "":
        segments.pop()  # a trailing slash names a directory
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidAssetPath("path must not contain empty, '.' or '..' segments")
        if segment.startswith("."):
            raise InvalidAssetPath("hidden files are not served")
    return PurePosixPath(*segments) if segments else PurePosixPath()


def _extension(path: PurePosixPath) -> str | None:
    suffix = path.suffix
    return suffix[1:].lower() if suffix else None


def resolve_asset(ui_dir: Path, rel: PurePosixPath, max_bytes: int) -> UiAsset:
    """Map a sanitised path to a file under ``ui_dir`` following the SPA rules.

    Empty path or a directory -> its ``index.html``; a missing path *without* an
    extension is a client-side route -> the root ``index.html``; a missing file
    *with* an extension is a real 404 (a broken asset must not turn into HTML).
    """
    ext = _extension(rel)
    if ext is not None and ext not in CONTENT_TYPES:
        raise InvalidAssetPath(f"file type .{ext} is not served")
    root = ui_dir.resolve()
    candidate = root.joinpath(*rel.parts) if rel.parts else root
    if candidate.is_dir():
        candidate = candidate / INDEX
    elif not candidate.is_file():
        if ext is not None:
            raise AssetNotFound("asset not found")
        candidate = root / INDEX
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise AssetNotFound("asset not found")
    final_ext = _extension(PurePosixPath(resolved.name))
    if final_ext not in CONTENT_TYPES:
        raise AssetNotFound("asset not found")
    size = resolved.stat().st_size
    if size > max_bytes:
        raise AssetTooLarge(f"asset exceeds the {max_bytes}-byte limit")
    return UiAsset(resolved, size, CONTENT_TYPES[final_ext], _etag(str(resolved)))


@functools.lru_cache(maxsize=4096)
def _etag(path: str) -> str:
    return f'"sha256-{sha256_file(Path(path))}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match``: ``*``, one tag or a comma-separated list (weak tags compare weakly)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def html_csp(frame_ancestors: str | None) -> str:
    if frame_ancestors:
        return f"{_HTML_CSP}; frame-ancestors {frame_ancestors}"
    return _HTML_CSP
