"""Render the Knative kustomizations with the real kustomize engine, no cluster needed.

Why a library and not the ``kustomize`` binary: this project may only reach PyPI
and Debian. Debian ships no kustomize (its ``kubernetes-client`` 1.20 embeds the
2019 kustomize v2.0.3), but the PyPI package ``pykustomize`` ships the upstream Go
kustomize API (sigs.k8s.io/kustomize/api v0.21.3) compiled into a C shared library.
Its Python wrapper wants Python >= 3.14, so we take only the shared library out of the
pinned wheel (sha256-verified) and call its C entry point with ctypes. The output is
exactly what ``kustomize build`` produces.

    python knative/render.py install              # fetch + verify the library once
    python knative/render.py build knative/overlays/dev [-o out.yaml] [--split DIR]

``--split`` writes one object per file (``NN-kind-name.yaml``), because
``kn service apply -f`` reads exactly one object per file; ``make deploy`` uses it.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / "build" / "tools"
LIBRARY_PATH = TOOLS_DIR / "libkustomize.so"
WHEEL_NAME = "pykustomize"
WHEEL_VERSION = "0.1.4"
WHEEL_FILE = f"{WHEEL_NAME}-{WHEEL_VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "f8da6be12fb35b56158d2f9043a67d39c1ce84eae9c8f344c7ed934709192467"
LIBRARY_MEMBER = "pykustomize/_lib/linux-amd64/libpykustomize.so"
KUSTOMIZE_API_VERSION = "sigs.k8s.io/kustomize/api v0.21.3"

# load_restrictions 0 = LoadRestrictionsRootOnly (kustomize's secure default);
# reorder "legacy" = the kustomize CLI default (ConfigMaps/Secrets before workloads).
BUILD_OPTIONS = {
    "load_restrictions": 0,
    "reorder": "legacy",
    "add_managedby_label": False,
    "enable_plugins": False,
    "enable_helm": False,
    "helm_command": "",
}


class KustomizeError(RuntimeError):
    """kustomize refused the input, or the engine is not installed."""


def install(library_path: Path = LIBRARY_PATH) -> Path:
    """Download the pinned wheel with pip, verify its hash, and extract the library."""
    if library_path.is_file():
        return library_path
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.14", "--dest", tmp,
            f"{WHEEL_NAME}=={WHEEL_VERSION}",
        ]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheel = Path(tmp) / WHEEL_FILE
        if result.returncode != 0 or not wheel.is_file():
            tail = result.stderr.strip()[-500:]
            raise KustomizeError(f"pip download {WHEEL_NAME}=={WHEEL_VERSION} failed: {tail}")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise KustomizeError(f"{WHEEL_FILE} sha256 {digest} != pinned {WHEEL_SHA256}")
        library_path.parent.mkdir(parents=True, exist_ok=True)
        partial = library_path.with_suffix(".partial")
        with zipfile.ZipFile(wheel) as archive, partial.open("wb") as out:
            out.write(archive.read(LIBRARY_MEMBER))
        partial.replace(library_path)
    return library_path


def _load(library_path: Path) -> ctypes.CDLL:
    if not library_path.is_file():
        raise KustomizeError(
            f"kustomize library missing at {library_path}; run: python knative/render.py install"
        )
    lib = ctypes.CDLL(str(library_path))
    lib.pykustomize_build.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.pykustomize_build.restype = ctypes.c_int
    lib.pykustomize_last_error.restype = ctypes.c_void_p
    lib.pykustomize_free.argtypes = [ctypes.c_void_p]
    return lib


def build(kustomization_dir: Path, library_path: Path = LIBRARY_PATH) -> str:
    """Return the rendered multi-document YAML, exactly as ``kustomize build`` prints it."""
    lib = _load(library_path)
    out = ctypes.c_void_p()
    rc = lib.pykustomize_build(
        str(kustomization_dir.resolve()).encode(),
        json.dumps(BUILD_OPTIONS).encode(),
        ctypes.byref(out),
    )
    if rc != 0:
        err = lib.pykustomize_last_error()
        message = ctypes.string_at(err).decode() if err else "unknown kustomize error"
        raise KustomizeError(message)
    try:
        return ctypes.string_at(out.value).decode() if out.value else ""
    finally:
        if out.value:
            lib.pykustomize_free(out.value)


def split_documents(rendered: str, out_dir: Path) -> list[Path]:
    """Write each object of a rendered stream to its own file, in render order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.yaml"):
        stale.unlink()
    written = []
    docs = [doc.strip("\n") for doc in rendered.split("\n---\n") if doc.strip()]
    for index, doc in enumerate(docs):
        obj = yaml.safe_load(doc) or {}
        kind = str(obj.get("kind", "object"))
        name = str((obj.get("metadata") or {}).get("name", index))
        path = out_dir / f"{index:02d}-{kind.lower()}-{name}.yaml"
        path.write_text(doc + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="knative/render.py",
        description=f"kustomize build with the upstream engine ({KUSTOMIZE_API_VERSION}).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="fetch and verify the kustomize library into build/tools")
    build_cmd = sub.add_parser("build", help="render a kustomization directory")
    build_cmd.add_argument("directory", type=Path)
    build_cmd.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    build_cmd.add_argument(
        "--split", type=Path, metavar="DIR", help="also write one file per object"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(f"kustomize engine: {install()}")
            return 0
        rendered = build(args.directory)
    except KustomizeError as exc:
        print(f"kustomize error: {exc}", file=sys.stderr)
        return 1
    if args.split:
        for path in split_documents(rendered, args.split):
            print(path, file=sys.stderr)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(rendered)
    else:
        sys.stdout.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
