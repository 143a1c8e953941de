"""Subcommands: every module of this package is one, with `add_parser(subparsers)` and `run(args) -> int`."""

import pkgutil

COMMANDS = sorted(
    f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")
)
