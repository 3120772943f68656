"""Turn an extension's Python source into a WebAssembly component.

componentize-py runs as a subprocess (its CLI is the stable interface) against the
project's WIT (`runner/wit`, world `runner`). The extension's entry module is
`app.py` in the source directory, defining `class WitWorld` with `handler`.

The build runs with a clean environment: `VIRTUAL_ENV` is dropped so the build
never bundles the host's site-packages, and only `src_dir` is on the guest's path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

WIT_DIR = Path(__file__).resolve().parent.parent / "wit"
WORLD = "runner"
APP_MODULE = "app"
BUILD_TIMEOUT_S = 600
_MAX_MESSAGE_CHARS = 4000
# componentize-py has no `__main__`; this is what its console script runs. Using the
# current interpreter finds the installed wheel without relying on PATH.
_CLI_SHIM = (
    "import sys; from componentize_py import script; "
    "sys.argv[0] = 'componentize-py'; sys.exit(script())"
)


_SHIM_NOISE = {"Traceback (most recent call last):", 'File "<string>", line 1, in <module>'}


class BuildError(Exception):
    """The component could not be built; `message` is what the author needs to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def build_component(src_dir: Path, out_wasm: Path, *, wit_dir: Path = WIT_DIR) -> None:
    """Build `src_dir/app.py` into `out_wasm` (written atomically).

    Raises `BuildError` for a missing app module, a WIT error or a compiler error,
    carrying componentize-py's own message.
    """
    src_dir = Path(src_dir).resolve()
    out_wasm = Path(out_wasm).resolve()
    if not (src_dir / f"{APP_MODULE}.py").is_file():
        raise BuildError(f"no {APP_MODULE}.py in {src_dir}: the extension entry module is missing")
    if not wit_dir.is_dir():
        raise BuildError(f"WIT directory not found: {wit_dir}")
    out_wasm.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="componentize-") as work:
        partial = Path(work) / "out.wasm"
        command = [
            sys.executable, "-c", _CLI_SHIM,
            "-d", str(wit_dir), "-w", WORLD,
            "componentize", "-p", str(src_dir), APP_MODULE, "-o", str(partial),
        ]  # fmt: skip
        result = _run(command, cwd=Path(work))
        if result.returncode != 0 or not partial.is_file():
            raise BuildError(_compiler_message(result))
        os.replace(partial, out_wasm)


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"componentize-py did not finish within {BUILD_TIMEOUT_S} s") from None
    except OSError as exc:
        raise BuildError(f"could not run componentize-py: {exc.strerror}") from None


def _compiler_message(result: subprocess.CompletedProcess[str]) -> str:
    """componentize-py's own words, without the shim's Python traceback or Rust frames."""
    text = "\n".join(part.strip() for part in (result.stderr, result.stdout) if part.strip())
    text = text.split("Stack backtrace:", 1)[0].strip()
    lines = [line for line in text.splitlines() if line.strip() not in _SHIM_NOISE]
    text = "\n".join(lines).replace("AssertionError: ", "", 1).strip()
    if not text:
        text = f"componentize-py exited with status {result.returncode}"
    if len(text) > _MAX_MESSAGE_CHARS:
        text = "...\n" + text[-_MAX_MESSAGE_CHARS:]
    return f"component build failed:\n{text}"
