"""ComponentCache with tiny real components: compile once, reuse from disk, recover."""

from __future__ import annotations

import threading

import pytest
import wasmtime
from wasmtime.component import Component

from runner.engine.component_cache import ComponentCache
from runner.errors import EngineInitFailed, InvalidContentHash

HASH_A = "sha256:" + "a" * 64
HASH_B = "sha256:" + "b" * 64


@pytest.fixture(scope="module")
def wasm_engine() -> wasmtime.Engine:
    return wasmtime.Engine()


@pytest.fixture
def tiny_wasm(tmp_path):
    path = tmp_path / "tiny.wasm"
    path.write_bytes(wasmtime.wat2wasm("(component (core module))"))
    return path


def cache(engine, directory, **kw) -> ComponentCache[Component]:
    return ComponentCache(engine, directory, "fp1", wrap=lambda c: c, **kw)


def test_compiles_once_and_reuses_the_disk_copy_after_a_restart(wasm_engine, tmp_path, tiny_wasm):
    first = cache(wasm_engine, tmp_path / "c")
    first.get(HASH_A, tiny_wasm)
    first.get(HASH_A, tiny_wasm)
    assert (first.stats().compiled_from_source, first.stats().loaded_from_disk) == (1, 0)
    assert first.serialized_path(HASH_A).is_file()

    tiny_wasm.unlink()  # a restarted runner must not even need the source
    second = cache(wasm_engine, tmp_path / "c")
    second.get(HASH_A, tiny_wasm)
    assert (second.stats().compiled_from_source, second.stats().loaded_from_disk) == (0, 1)
    assert second.contains(HASH_A) and len(second) == 1


def test_concurrent_first_requests_compile_once(wasm_engine, tmp_path, tiny_wasm):
    calls = []
    c = ComponentCache(
        wasm_engine, tmp_path / "c", "fp1", wrap=lambda comp: calls.append(1) or comp
    )
    barrier = threading.Barrier(8)
    results = []

    def worker() -> None:
        barrier.wait()
        results.append(c.get(HASH_A, tiny_wasm))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.stats().compiled_from_source == 1
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_corrupt_disk_copy_is_discarded_and_recompiled(wasm_engine, tmp_path, tiny_wasm):
    cache(wasm_engine, tmp_path / "c").get(HASH_A, tiny_wasm)
    serialized = cache(wasm_engine, tmp_path / "c").serialized_path(HASH_A)
    serialized.write_bytes(b"not a compiled component")
    fresh = cache(wasm_engine, tmp_path / "c")
    fresh.get(HASH_A, tiny_wasm)
    assert fresh.stats().compiled_from_source == 1
    assert serialized.read_bytes() != b"not a compiled component"


def test_other_engine_fingerprint_never_loads_foreign_code(wasm_engine, tmp_path, tiny_wasm):
    cache(wasm_engine, tmp_path / "c").get(HASH_A, tiny_wasm)
    other = ComponentCache(wasm_engine, tmp_path / "c", "fp2", wrap=lambda c: c)
    other.get(HASH_A, tiny_wasm)
    assert other.stats().compiled_from_source == 1


def test_memory_is_bounded_lru(wasm_engine, tmp_path, tiny_wasm):
    c = cache(wasm_engine, tmp_path / "c", max_entries=1)
    c.get(HASH_A, tiny_wasm)
    c.get(HASH_B, tiny_wasm)
    assert not c.contains(HASH_A) and c.contains(HASH_B)
    c.get(HASH_A, tiny_wasm)
    assert c.stats().loaded_from_disk == 1


@pytest.mark.parametrize("bad", ["sha256:xyz", "md5:" + "a" * 64, "sha256:../../etc/passwd"])
def test_malformed_hashes_never_become_paths(wasm_engine, tmp_path, bad):
    c = cache(wasm_engine, tmp_path / "c")
    with pytest.raises(InvalidContentHash):
        c.serialized_path(bad)
    with pytest.raises(InvalidContentHash):
        c.get(bad, tmp_path / "absent.wasm")
    assert list((tmp_path / "c").iterdir()) == []


def test_uppercase_hash_is_the_same_entry(wasm_engine, tmp_path):
    c = cache(wasm_engine, tmp_path / "c")
    assert c.serialized_path("SHA256:" + "A" * 64) == c.serialized_path("sha256:" + "a" * 64)


def test_invalid_or_missing_component_is_engine_init_failed(wasm_engine, tmp_path):
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"\0asm junk")
    with pytest.raises(EngineInitFailed) as info:
        cache(wasm_engine, tmp_path / "c").get(HASH_A, junk)
    assert str(tmp_path) not in str(info.value)
    with pytest.raises(EngineInitFailed):
        cache(wasm_engine, tmp_path / "c").get(HASH_B, tmp_path / "absent.wasm")
