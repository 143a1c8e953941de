"""The `nblint` command: `main(argv) -> int`, as pre-commit-hooks' entry points.

Exit codes as ruff: 0 nothing reported, 1 something reported, 2 a usage or configuration error or a
path that does not exist. Subcommands import what they need when they run, so `nblint --version`
imports almost nothing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from nblint import __version__
from nblint.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nblint",
        description="Find the code that kills Jupyter kernels, and keep notebooks healthy in git.",
    )
    parser.add_argument("--version", action="version", version=f"nblint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("nblint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nblint check | head`
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
