"""Deterministic packing and safe extraction of untrusted archives."""

import os
import time

import pytest
import zstandard

from runner.bundles import UnsafeArchive, pack_bundle
from runner.bundles.extract import ExtractLimits, extract_bundle
from tests.runner.bundles.evil_archives import (
    device_member,
    file_member,
    link_member,
    write_archive,
)


def test_same_inputs_give_the_same_hash(bundle_src, tmp_path):
    src, wasm = bundle_src
    first = pack_bundle(src, wasm, tmp_path / "a.tar.zst")
    time.sleep(1.1)  # new mtimes must not matter
    for path in src.rglob("*"):
        os.utime(path)
    second = pack_bundle(src, wasm, tmp_path / "b.tar.zst")
    assert first.content_hash == second.content_hash
    assert first.path.read_bytes() == second.path.read_bytes()
    (src / "ui" / "index.html").write_text("<h1>changed</h1>")
    third = pack_bundle(src, wasm, tmp_path / "c.tar.zst")
    assert third.content_hash != first.content_hash


def test_packed_layout_and_hidden_files_left_out(bundle_src, tmp_path):
    src, wasm = bundle_src
    packed = pack_bundle(src, wasm, tmp_path / "b.tar.zst")
    dest = tmp_path / "out"
    dest.mkdir()
    extract_bundle(packed.path, dest)
    names = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert names == ["dist/main.wasm", "manifest.json", "ui/assets/app.js", "ui/index.html"]
    assert (dest / "dist/main.wasm").read_bytes() == wasm.read_bytes()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([file_member("../escape.txt")], "'..'"),
        ([file_member("ui/../../escape.txt")], "'..'"),
        ([file_member("/etc/evil")], "absolute"),
        ([file_member("ui\\..\\evil")], "invalid name"),
        ([link_member("ui/link", "/etc/passwd")], "link"),
        ([link_member("ui/link", "../../outside")], "link"),
        ([file_member("a"), link_member("ui/hard", "a", hard=True)], "link"),
        ([device_member("ui/null")], "link or special"),
    ],
)
def test_unsafe_archives_are_refused(tmp_path, members, message):
    archive = write_archive(tmp_path / "evil.tar.zst", members)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(UnsafeArchive) as info:
        extract_bundle(archive, dest)
    assert message in info.value.message
    assert not (tmp_path / "escape.txt").exists()
    assert not (dest / "ui" / "link").exists()


def test_limits_stop_bombs_early(tmp_path):
    archive = write_archive(
        tmp_path / "many.tar.zst", [file_member(f"ui/{i}.js") for i in range(20)]
    )
    dest = tmp_path / "d1"
    dest.mkdir()
    with pytest.raises(UnsafeArchive, match="more than 10 entries"):
        extract_bundle(archive, dest, ExtractLimits(max_entries=10))
    big = write_archive(tmp_path / "big.tar.zst", [file_member("ui/big.js", b"0" * 5000)])
    dest2 = tmp_path / "d2"
    dest2.mkdir()
    with pytest.raises(UnsafeArchive, match="size limit"):
        extract_bundle(big, dest2, ExtractLimits(max_file_bytes=1000))


def test_corrupt_archive(tmp_path):
    archive = tmp_path / "corrupt.tar.zst"
    archive.write_bytes(zstandard.ZstdCompressor().compress(b"not a tar at all" * 100)[:-7])
    dest = tmp_path / "d"
    dest.mkdir()
    with pytest.raises(UnsafeArchive, match="corrupt"):
        extract_bundle(archive, dest)
