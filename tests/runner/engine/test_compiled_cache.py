"""Compiled components are cached on disk: a restarted engine deserializes, never compiles."""

from __future__ import annotations

import threading

import pytest

from runner.engine import Engine

pytestmark = pytest.mark.slow


def test_cold_engine_compiles_a_real_component_once_and_serializes_it(sample_component, tmp_path):
    engine = Engine(tmp_path / "cold")
    try:
        for _ in range(2):
            engine.prepare(sample_component.content_hash, sample_component.wasm)
        stats = engine.cache_stats()
        assert (stats.compiled_from_source, stats.loaded_from_disk) == (1, 0)
        assert engine.serialized_path(sample_component.content_hash).stat().st_size > 0
    finally:
        engine.close()


def test_session_cache_holds_every_component(warm_engine_cache, sample_component):
    stats = warm_engine_cache.first_stats
    assert stats.compiled_from_source + stats.loaded_from_disk == 2


def test_restarted_engine_loads_from_disk(warm_engine_cache, sample_component):
    engine = Engine(warm_engine_cache.path)
    try:
        engine.prepare(sample_component.content_hash, sample_component.wasm)
        stats = engine.cache_stats()
        assert (stats.compiled_from_source, stats.loaded_from_disk) == (0, 1)
        assert engine.serialized_path(sample_component.content_hash).is_file()
    finally:
        engine.close()


def test_concurrent_first_requests_load_once(warm_engine_cache, sample_component):
    engine = Engine(warm_engine_cache.path)
    barrier = threading.Barrier(6)

    def prepare() -> None:
        barrier.wait()
        engine.prepare(sample_component.content_hash, sample_component.wasm)

    try:
        threads = [threading.Thread(target=prepare) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = engine.cache_stats()
        assert (stats.compiled_from_source, stats.loaded_from_disk) == (0, 1)
    finally:
        engine.close()
