"""`nblint clean`: remove the result cache (.nblint_cache/) of this project and of the folders below."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("clean", help="remove the result cache", description=__doc__)
    parser.add_argument("--cache-dir", metavar="DIR", help="the cache to remove, when `check` was told --cache-dir DIR")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="the configuration file whose folder holds the cache"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.run.cache import CACHE_DIR_NAME, is_nblint_cache, location_for
    from nblint.run.config import DEFAULT_EXCLUDE, ConfigError, ConfigResolver, Overrides

    try:
        resolver = ConfigResolver(Overrides(config=args.config))
    except ConfigError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    candidates = [location_for(resolver, args.cache_dir)]
    # As `ruff clean`: the caches of projects below the current folder too (a monorepo's sub-projects).
    skip = set(DEFAULT_EXCLUDE) - {CACHE_DIR_NAME}
    for below, dirs, _files in os.walk("."):
        if CACHE_DIR_NAME in dirs:
            candidates.append(Path(below, CACHE_DIR_NAME))
        dirs[:] = [d for d in dirs if d not in skip and d != CACHE_DIR_NAME]

    status = 0
    seen: set[str] = set()
    for folder in candidates:
        key = os.path.realpath(folder)
        if key in seen or not folder.is_dir():
            continue
        seen.add(key)
        # Only what nblint made: a --cache-dir pointing at a folder of other things is left alone.
        if not is_nblint_cache(folder) and folder.name != CACHE_DIR_NAME:
            print(
                f"nblint: warning: {folder}: not an nblint cache (no CACHEDIR.TAG of nblint), left alone",
                file=sys.stderr,
            )
            continue
        try:
            _remove_tree(folder)
        except OSError as exc:
            print(f"nblint: error: cannot remove {folder}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        print(f"Removed {folder}")
    return status


def _remove_tree(folder: Path) -> None:
    import shutil

    # A concurrent run may be writing an entry while we remove: a file vanishing under us is fine.
    def ignore_missing(function, path, error):
        error = error[1] if isinstance(error, tuple) else error
        if not isinstance(error, FileNotFoundError):
            raise error

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=ignore_missing)
    else:
        shutil.rmtree(folder, onerror=ignore_missing)
