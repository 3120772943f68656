"""``extgate``: the extension author's command line.

Subcommands live in their own modules, each exposing ``register(subparsers)``
which adds its parser and sets ``handler`` (a function taking the parsed args and
returning an exit status). To add a command, append its module to
``COMMAND_MODULES``; nothing else here changes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from extgate.errors import CliError

COMMAND_MODULES: tuple[str, ...] = (
    "extgate.bundle_cmd",
    "extgate.emulate_cmd",
    "extgate.dev_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extgate",
        description="Build, install and run sandboxed WebAssembly extensions.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
