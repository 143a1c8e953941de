"""Subcommands. Each module has `add_parser(subparsers)` and `run(args) -> int`."""

COMMANDS = [
    "nblint.commands.check",
    "nblint.commands.rules",
    "nblint.commands.explain",
]
