"""`nblint uninstall-hooks`: remove what `nblint install-hooks` installed, and nothing else.

The pre-commit hook goes only if it is nblint's; the clean filter only if it runs nblint strip; the
`*.ipynb filter=nblint` line of .gitattributes (and the file, if that was all it held). Exit codes:
0 done (also when there was nothing to remove), 2 not in a git work tree.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "uninstall-hooks",
        help="remove nblint's git pre-commit hook and clean filter",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.integrations.githooks import HookError, find_repository, uninstall

    try:
        repo = find_repository()
        messages = uninstall(repo)
    except HookError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    for message in messages or ["nothing of nblint's to remove"]:
        print(message)
    return 0
