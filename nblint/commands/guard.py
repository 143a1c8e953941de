"""`nblint guard install|uninstall [--profile NAME] [--system]`: load nblint's guard in every kernel.

`install` writes one file nblint owns, `50-nblint-guard.py`, into the IPython profile's `startup/`
folder (`$IPYTHONDIR/profile_NAME/startup`, `~/.ipython/profile_default/startup` by default); IPython
runs it when a kernel starts, and it loads the guard (`%load_ext nblint.guard`). `--system` writes it
to `{sys.prefix}/etc/ipython/startup/` instead, for every user and profile of this Python environment
(a JupyterHub image). `uninstall` removes exactly that file, and only when it is nblint's.
Exit codes: 0 done (or nothing to do), 1 a file that is not nblint's is in the way or cannot be written.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "guard",
        help="check each cell inside running kernels before it runs: install or uninstall the IPython extension",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=("install", "uninstall"))
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--profile",
        default="default",
        metavar="NAME",
        help="the IPython profile whose kernels load the guard (default: default)",
    )
    where.add_argument(
        "--system",
        action="store_true",
        help="every kernel of this Python environment: {sys.prefix}/etc/ipython/startup",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.guard.install import InstallError, install, startup_folder, uninstall

    if not args.profile or "/" in args.profile or args.profile in (".", ".."):
        print(f"nblint: error: not a profile name: {args.profile!r}", file=sys.stderr)
        return 2
    folder = startup_folder(args.profile, args.system)
    try:
        print(install(folder) if args.action == "install" else uninstall(folder))
    except InstallError as exc:
        print(f"nblint: {exc}", file=sys.stderr)
        return 1
    return 0
