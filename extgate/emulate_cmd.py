"""``extgate emulate``: the local single-origin emulator (see ``emulator.cli``)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from emulator.cli import DESCRIPTION, add_emulate_arguments

    parser = subparsers.add_parser(
        "emulate", help="serve every gateway function on localhost:3000", description=DESCRIPTION
    )
    add_emulate_arguments(parser)
    parser.set_defaults(handler=run_emulate)


def run_emulate(args: argparse.Namespace) -> int:
    from emulator.cli import run

    return run(args)
