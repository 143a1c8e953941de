"""`nblint install-hooks [--whole-notebooks] [--strip-filter]`: nblint's git pre-commit hook, for teams
without pre-commit.

The hook checks the notebooks staged for a commit, as the index holds them, with `nblint check` and
`nblint strip --dry-run`, and refuses the commit when either fails. `nblint check` judges only the
cells the commit changes (`--diff-base HEAD`, as pre-commit users set it up), so a commit that only
strips outputs or edits one cell is never refused for an old finding in a cell it did not touch; a new
notebook is judged whole. That needs nbdime (the `diff` extra); without it, or with --whole-notebooks,
the hook judges every cell of each staged notebook. It is installed into the repository's hooks folder
(`git rev-parse --git-path hooks`, so core.hooksPath is honoured) and runs this environment's nblint by
its absolute path. A hook that is already there and is not nblint's is never overwritten: the command
says so and exits 1.

--strip-filter also sets up a git clean filter, as `nbstripout --install` does: every notebook is
stripped of outputs and execution counts as `git add` stages it (the work tree keeps them). Notebooks
already in git are stripped only when they are staged again: `git add --renormalize .` does it for all.
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
    parser.add_argument(
        "--whole-notebooks",
        action="store_true",
        help="judge every cell of each staged notebook, not only the cells the commit changes",
    )
    parser.add_argument(
        "--strip-filter",
        action="store_true",
        help="also strip notebooks on `git add` with a git clean filter (.git/config and .gitattributes)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.integrations.githooks import (
        CHANGED_CELLS,
        WHOLE_NOTEBOOKS,
        HookError,
        can_judge_changed_cells,
        find_repository,
        install_filter,
        install_hook,
        nblint_executable,
    )

    try:
        repo = find_repository()
        nblint = nblint_executable()
        judge = CHANGED_CELLS
        if args.whole_notebooks:
            judge = WHOLE_NOTEBOOKS
        elif not can_judge_changed_cells():
            judge = WHOLE_NOTEBOOKS
            print(
                "nblint: note: nbdime is not installed, so the hook judges whole notebooks; to judge only the cells "
                'each commit changes, install nblint\'s `diff` extra (pip install "nblint[diff]") and run '
                "nblint install-hooks again",
                file=sys.stderr,
            )
        installed, message = install_hook(repo, nblint, judge)
        print(message if installed else f"nblint: {message}", file=sys.stdout if installed else sys.stderr)
        if args.strip_filter:
            for line in install_filter(repo, nblint):
                print(line)
    except HookError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    return 0 if installed else 1
