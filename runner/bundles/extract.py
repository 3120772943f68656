"""Safe extraction of an untrusted ``.tar.zst`` bundle.

Trust assumption: the archive came from a bundle store and its hash matched, but
its *contents* were written by an extension author and are not trusted. Only
regular files and directories are accepted; names must be relative, without
``..``, backslashes or control characters; links, devices and FIFOs are refused
outright (a bundle has no use for them); total size, per-file size and entry count
are bounded while streaming, so a zip bomb stops early. The caller extracts into
an empty temporary directory and renames it into place only on success.
"""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import zstandard

from runner.bundles.errors import UnsafeArchive


@dataclass(frozen=True)
class ExtractLimits:
    max_total_bytes: int = 512 * 1024 * 1024
    max_file_bytes: int = 256 * 1024 * 1024
    max_entries: int = 10_000


def safe_member_path(name: str) -> PurePosixPath:
    """Validate an archive member name and return it as a relative path."""
    if not name or "\\" in name or not name.isprintable():
        raise UnsafeArchive("archive entry has an invalid name")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive("archive entry has an absolute path")
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts):
        raise UnsafeArchive("archive entry escapes the bundle ('..')")
    parts = [p for p in path.parts if p != "."]
    if not parts:
        raise UnsafeArchive("archive entry has an invalid name")
    return PurePosixPath(*parts)


def extract_bundle(archive: Path, dest: Path, limits: ExtractLimits | None = None) -> None:
    """Extract ``archive`` into the existing empty directory ``dest``."""
    limits = limits or ExtractLimits()
    total = 0
    count = 0
    root = dest.resolve()
    try:
        with archive.open("rb") as raw:
            reader = zstandard.ZstdDecompressor().stream_reader(raw)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    count += 1
                    if count > limits.max_entries:
                        raise UnsafeArchive(f"archive has more than {limits.max_entries} entries")
                    rel = safe_member_path(member.name)
                    target = root / rel
                    if member.isdir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    if not member.isreg():
                        raise UnsafeArchive(
                            "archive entry is a link or special file; only files are allowed"
                        )
                    if member.size > limits.max_file_bytes:
                        raise UnsafeArchive("archive entry exceeds the per-file size limit")
                    total += member.size
                    if total > limits.max_total_bytes:
                        raise UnsafeArchive("archive exceeds the total size limit")
                    _write_member(tar, member, target, root)
    except (tarfile.TarError, zstandard.ZstdError, EOFError) as exc:
        raise UnsafeArchive(f"archive is corrupt: {type(exc).__name__}") from None


def _write_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, root: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # A directory created earlier cannot be a symlink (links are refused), but check
    # the resolved parent anyway: defence in depth against future changes.
    if not target.parent.resolve().is_relative_to(root):
        raise UnsafeArchive("archive entry escapes the bundle")
    if target.exists():
        raise UnsafeArchive("archive has a duplicate entry")
    source = tar.extractfile(member)
    if source is None:
        raise UnsafeArchive("archive entry cannot be read")
    with source, open(target, "xb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
