"""`nblint server`: a language server (LSP 3.17) over stdio that reports nblint's findings on notebook
cells as you type. Needs the `server` extra (pygls)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

INSTALL_HINT = 'pip install ".[server]"'


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "server", help="run the language server over stdio (editors start it)", description=__doc__
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="use this pyproject.toml or nblint.toml for every notebook"
    )
    parser.add_argument(
        "--debounce",
        type=_milliseconds,
        default=150,
        metavar="MS",
        help="wait this long after an edit before analysing (default: 150 ms); a newer edit restarts the wait",
    )
    parser.set_defaults(run=run)


def _milliseconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more milliseconds, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    from nblint.run.config import ConfigError, ConfigResolver, Overrides

    overrides = Overrides(config=args.config)
    if args.config is not None:
        try:
            ConfigResolver(overrides)  # a bad --config is a usage error now, not a diagnostic later
        except ConfigError as exc:
            print(f"nblint: error: {exc}", file=sys.stderr)
            return 2
    if not _has_pygls():
        print(
            f"nblint: error: `nblint server` needs pygls: install the server extra from the nblint checkout: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    if os.environ.get(EARLY_ANSWER_VARIABLE, "1") != "0":
        # answer `initialize` before the slow imports (see nblint.server.early)
        from nblint.server.early import DropFirstAnswer, Replay, answer_early

        head, ident, sent = answer_early(stdin, stdout)
        stdin = Replay(head, stdin)
        if sent is not None:
            stdout = DropFirstAnswer(stdout, ident, sent)
    from nblint.server.server import build_server

    build_server(overrides, debounce=args.debounce / 1000).start_io(stdin, stdout)
    return 0


# NBLINT_SERVER_EARLY_ANSWER=0: let pygls answer `initialize` itself, after every import (the tests compare)
EARLY_ANSWER_VARIABLE = "NBLINT_SERVER_EARLY_ANSWER"


def _has_pygls() -> bool:
    """Whether pygls 2 can be imported, without importing it (that is the slow part of starting)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pygls")
    except (ImportError, ValueError):
        return False
    # find_spec("pygls.lsp.server") would import pygls.lsp, and with it lsprotocol.types (1.x had no pygls.lsp)
    folders = spec.submodule_search_locations if spec is not None else None
    return bool(folders) and any(os.path.isfile(os.path.join(folder, "lsp", "server.py")) for folder in folders)
