"""Bundle addresses: ``sha256:<64 lower-case hex>`` of the archive bytes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from runner.errors import InvalidContentHash

_CONTENT_HASH = re.compile(r"sha256:([0-9a-f]{64})", re.IGNORECASE)
_CHUNK = 1024 * 1024


def parse_content_hash(value: object) -> str:
    """Return the lower-case hex digest of a ``sha256:<hex>`` address, or raise 400."""
    if isinstance(value, str):
        match = _CONTENT_HASH.fullmatch(value.strip())
        if match:
            return match.group(1).lower()
    raise InvalidContentHash("content hash must look like sha256:<64 hex digits>")


def format_content_hash(hex_digest: str) -> str:
    return f"sha256:{hex_digest.lower()}"


def sha256_file(path: Path) -> str:
    """Hex digest of a file, read in chunks (bundles can be tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
