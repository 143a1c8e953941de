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


class _Parser(argparse.ArgumentParser):
    """argparse builds a help formatter for every add_argument (to check metavars), and a formatter asks
    shutil for the terminal's width: `import shutil` (with bz2 and lzma) was 4 ms of every run. The
    same width, from os."""

    def _get_formatter(self):
        return self.formatter_class(prog=self.prog, width=_help_width())


_WIDTH: list[int] = []


def _help_width() -> int:
    if not _WIDTH:
        import os

        try:  # as shutil.get_terminal_size: $COLUMNS, else the terminal of stdout, else 80
            columns = int(os.environ.get("COLUMNS", 0))
        except ValueError:
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
            except (AttributeError, ValueError, OSError):
                columns = 0
        _WIDTH.append((columns if columns > 0 else 80) - 2)
    return _WIDTH[0]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nblint",
        description="Find the code that kills Jupyter kernels, and keep notebooks healthy in git.",
    )
    parser.add_argument("--version", action="version", version=f"nblint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
