"""`nblint install-hooks [--strip-filter]`: nblint's git pre-commit hook, for teams without pre-commit.

The hook checks the notebooks staged for a commit, as the index holds them, with `nblint check` and
`nblint strip --check`, and refuses the commit when either fails. It is installed into the repository's
hooks folder (`git rev-parse --git-path hooks`, so core.hooksPath is honoured) and runs this
environment's nblint by its absolute path. A hook that is already there and is not nblint's is never
overwritten: the command says so and exits 1.

--strip-filter also sets up a git clean filter, as `nbstripout --install` does: every notebook is
stripped of outputs and execution counts as `git add` stages it (the work tree keeps them).
`nblint uninstall-hooks` removes both. Exit codes: 0 done, 1 a hook was in the way, 2 not in a git
work tree.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "install-hooks",
        help="install nblint's git pre-commit hook (and, with --strip-filter, a clean filter)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--strip-filter", action="store_true",
                        help="also strip notebooks on `git add` with a git clean filter (.git/config and .gitattributes)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.integrations.githooks import HookError, find_repository, install_filter, install_hook, nblint_executable

    try:
        repo = find_repository()
        nblint = nblint_executable()
        installed, message = install_hook(repo, nblint)
        print(message if installed else f"nblint: {message}", file=sys.stdout if installed else sys.stderr)
        if args.strip_filter:
            for line in install_filter(repo, nblint):
                print(line)
    except HookError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    return 0 if installed else 1
