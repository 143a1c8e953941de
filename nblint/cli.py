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
from nblint.commands import __name__ as COMMANDS_PACKAGE


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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; given `command` (a subcommand's name, as typed), one with that subcommand alone,
    or the whole parser where no module of nblint.commands adds it."""
    parser = _Parser(
        prog="nblint",
        description="Find the code that kills Jupyter kernels, and keep notebooks healthy in git.",
    )
    parser.add_argument("--version", action="version", version=f"nblint {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if command is not None:
        module_name = f"{COMMANDS_PACKAGE}.{command.replace('-', '_')}"
        if module_name in COMMANDS:
            importlib.import_module(module_name).add_parser(subparsers)
            if command in subparsers.choices:
                return parser
        return build_parser()
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    # A run parses its own subcommand's options only: building all ten parsers was 8 ms of every run. The
    # first argument is the subcommand unless it is an option (`nblint --help`, `nblint --version`), and
    # then, or with no argument, every subcommand is built, so that the help lists them all.
    first = argv[0] if argv else None
    parser = build_parser(first if first is not None and not first.startswith("-") else None)
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
