"""build_component: the compiler's own message for each kind of broken extension."""

from __future__ import annotations

import shutil

import pytest

from runner.build import WIT_DIR, BuildError, build_component


def test_missing_app_module_is_reported_before_running_the_compiler(tmp_path):
    with pytest.raises(BuildError) as info:
        build_component(tmp_path, tmp_path / "out.wasm")
    assert "no app.py" in info.value.message
    assert not (tmp_path / "out.wasm").exists()


@pytest.mark.slow
def test_syntax_error_carries_file_and_line(tmp_path):
    (tmp_path / "app.py").write_text("def broken(:\n    pass\n")
    with pytest.raises(BuildError) as info:
        build_component(tmp_path, tmp_path / "out.wasm")
    assert "SyntaxError" in info.value.message
    assert "app.py" in info.value.message and "line 1" in info.value.message
    assert "Stack backtrace" not in info.value.message
    assert not (tmp_path / "out.wasm").exists()


@pytest.mark.slow
def test_app_without_the_world_class_is_explained(tmp_path):
    (tmp_path / "app.py").write_text("VALUE = 1\n")
    with pytest.raises(BuildError) as info:
        build_component(tmp_path, tmp_path / "out.wasm")
    assert "has no attribute 'WitWorld'" in info.value.message


@pytest.mark.slow
def test_bad_wit_is_reported_with_the_wit_error(tmp_path):
    wit = tmp_path / "wit"
    shutil.copytree(WIT_DIR, wit)
    (wit / "broken.wit").write_text("interface broken { oops: func( -> string; }\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("VALUE = 1\n")
    with pytest.raises(BuildError) as info:
        build_component(src, tmp_path / "out.wasm", wit_dir=wit)
    assert "broken.wit" in info.value.message
