"""`nblint strip [PATHS...]`: remove outputs, execution counts and volatile metadata, as nbstripout does.

Exit codes: 0 nothing needed stripping; 1 at least one notebook was stripped (or, with --check or
--dry-run, would be), so a pre-commit hook fails when it changed a file, as pre-commit-hooks' fixers do;
2 a file could not be read as a notebook (it is left as it was, and the others are still stripped), a
path does not exist, or a usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from nblint.reporters.quoting import quote_path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "strip",
        help="strip outputs and execution counts, as nbstripout does",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="notebooks or folders (default: the current folder)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="change nothing; list the notebooks a strip would change and exit 1 if any"
    )
    mode.add_argument(
        "--dry-run", action="store_true", help="change nothing; print what a strip would change in each notebook"
    )
    mode.add_argument(
        "--stdin",
        action="store_true",
        help="filter mode (git's clean filter, `nblint install-hooks --strip-filter`): read one notebook on "
        "standard input, write it stripped on standard output; the one PATH, if given, names it for "
        "the configuration and is not read. Exits 0 when it wrote a notebook, 2 when the input "
        "cannot be stripped (then it is written back unchanged)",
    )
    nbstripout = parser.add_argument_group(
        "what to keep and drop (nbstripout's options; also keys of [tool.nblint.strip])"
    )
    nbstripout.add_argument("--keep-output", action="store_true", default=None, help="do not strip outputs")
    nbstripout.add_argument("--keep-count", action="store_true", default=None, help="do not strip execution counts")
    nbstripout.add_argument(
        "--extra-keys",
        action="append",
        metavar="KEYS",
        help="space-separated extra keys to strip, e.g. 'metadata.foo cell.metadata.bar'",
    )
    nbstripout.add_argument(
        "--keep-metadata-keys",
        action="append",
        metavar="KEYS",
        help="space-separated keys NOT to strip among the defaults, e.g. 'cell.metadata.scrolled'",
    )
    nbstripout.add_argument(
        "--drop-empty-cells",
        action="store_true",
        default=None,
        help="remove cells whose source is empty or only whitespace",
    )
    nbstripout.add_argument(
        "--drop-tagged-cells",
        action="append",
        metavar="TAGS",
        help="space-separated cell tags: remove every cell carrying any of them",
    )
    nbstripout.add_argument(
        "--strip-init-cells",
        action="store_true",
        default=None,
        help="strip the outputs of cells with `init_cell: true` metadata too",
    )
    nbstripout.add_argument(
        "--max-size",
        metavar="SIZE",
        help="keep outputs of at most SIZE (as nbstripout: 500, 10K, 2M, 1G in powers of 1000)",
    )
    nbstripout.add_argument(
        "--renumber-ids",
        action="store_true",
        default=None,
        help="replace cell ids with 0, 1, 2... (nbstripout without --keep-id); ids are kept by default",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="use this pyproject.toml or nblint.toml for every notebook"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nblint.run.config import ConfigError, ConfigResolver, Overrides
    from nblint.run.discovery import discover
    from nblint.run.strip_options import StripOptionError, options_from_arguments

    if args.stdin:
        return _strip_stdin(args)
    try:
        command_line = options_from_arguments(args)
        resolver = ConfigResolver(Overrides(config=args.config))
        found = discover(args.paths or ["."], resolver)
        # Every file's options before any file is touched: a configuration error changes nothing.
        by_settings: dict[int, object] = {}
        plan = []
        for path in found.files:
            settings = resolver.for_path(path)
            if id(settings) not in by_settings:
                by_settings[id(settings)] = settings.strip.merged(command_line)
            plan.append((path, by_settings[id(settings)]))
    except (ConfigError, StripOptionError) as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2

    for name in found.missing:
        print(f"nblint: error: {quote_path(name)}: no such file or folder", file=sys.stderr)
    for name, what in found.not_files:
        print(f"nblint: error: {quote_path(name)}: {what}; left unchanged", file=sys.stderr)
    for name in found.empty:
        print(f"nblint: warning: {quote_path(name)}: no notebooks found", file=sys.stderr)

    with _terminate_as_exit():
        tally = _strip_all(plan, write=not (args.check or args.dry_run), detail=not args.check)
    tally.failed += len(found.not_files)

    if args.check or args.dry_run:
        verb = "would be stripped"
    else:
        verb = "stripped"
    print(
        f"{_count(tally.changed, 'notebook')} {verb}, {tally.clean} already clean"
        + (f", {_count(tally.failed, 'file')} could not be stripped" if tally.failed else ""),
        file=sys.stderr,
    )
    if found.missing or found.not_files or tally.failed:
        return 2
    return 1 if tally.changed else 0


@dataclass
class _Tally:
    changed: int = 0
    clean: int = 0
    failed: int = 0


def _strip_all(plan, write: bool, detail: bool) -> _Tally:
    from nblint.core.atomic import write_bytes_atomic
    from nblint.core.read.files import HandedBytes, read_regular_buffer
    from nblint.integrations.strip import NotStrippable, strip_notebook

    tally = _Tally()
    if write:  # --check and --dry-run change nothing
        _remove_leftovers({path.parent for path, _ in plan})
    for path, options in plan:
        try:
            handed = HandedBytes(read_regular_buffer(path))  # no reference kept here: the strip drops them
        except OSError as exc:
            _fail(tally, path, f"cannot read: {exc.strerror or exc}")
            continue
        try:
            outcome = strip_notebook(handed, options, path.name, path)
        except NotStrippable as exc:
            _fail(tally, path, str(exc))
            continue
        if outcome.data is None:
            tally.clean += 1
            continue
        if write:
            try:
                # Through a symlink to the file it names: replacing the link itself would cut it.
                write_bytes_atomic(Path(os.path.realpath(path)), outcome.data)
            except OSError as exc:
                _fail(tally, path, f"cannot write: {exc.strerror or exc}")
                continue
        tally.changed += 1
        if detail:
            print(f"{quote_path(str(path))}: {outcome.summary.describe(would=not write)}", flush=True)
        else:
            print(quote_path(str(path)), flush=True)
    return tally


def _remove_leftovers(folders) -> None:
    """Temporary files of a strip that was killed mid-write (nblint.core.atomic), beside the notebooks: removed,
    so `git status` does not show them for ever."""
    from nblint.core.atomic import remove_stale_temporaries

    for folder in sorted(folders):
        for removed in remove_stale_temporaries(folder):
            print(f"nblint: removed {removed}, a temporary file left by an interrupted run", file=sys.stderr)


def _fail(tally: _Tally, path: Path, reason: str) -> None:
    tally.failed += 1
    print(f"{quote_path(str(path))}: {reason}; left unchanged", file=sys.stderr, flush=True)


def _strip_stdin(args: argparse.Namespace) -> int:
    """One notebook from stdin to stdout, as a git clean filter must: whatever happens, stdout gets a whole
    notebook (the input itself when it cannot be stripped), so `git add` never stores half a file."""
    from nblint.integrations.strip import NotStrippable, strip_notebook
    from nblint.run.config import ConfigError, ConfigResolver, Overrides
    from nblint.run.strip_options import StripOptionError, options_from_arguments

    data = sys.stdin.buffer.read()
    name = args.paths[0] if args.paths else None
    shown = quote_path(name) if name else "<stdin>"  # a newline in the name must not break `path: reason`
    try:
        if len(args.paths) > 1:
            raise ConfigError("--stdin takes at most one PATH (the name of the notebook on standard input)")
        resolver = ConfigResolver(Overrides(config=args.config))
        settings = resolver.for_path(Path(name)) if name else resolver.default()
        if name and settings.is_excluded(Path(name)):
            sys.stdout.buffer.write(data)  # `exclude` names it: left as it is, as a folder run would
            return 0
        options = settings.strip.merged(options_from_arguments(args))
        outcome = strip_notebook(data, options)
    except (ConfigError, StripOptionError) as exc:
        sys.stdout.buffer.write(data)
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2
    except NotStrippable as exc:
        sys.stdout.buffer.write(data)
        print(f"{shown}: {exc}; left unchanged", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(data if outcome.data is None else outcome.data)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class _terminate_as_exit:
    """While files are written, SIGTERM unwinds the stack like Ctrl-C, so an unfinished temporary file
    is removed (nblint.core.atomic cleans up on any exception); the original is never touched before the rename."""

    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGTERM, self._raise)
        except ValueError:  # not the main thread
            self.previous = None
        return self

    @staticmethod
    def _raise(signum, frame):
        raise SystemExit(128 + signum)

    def __exit__(self, *exc_info):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
        return False
