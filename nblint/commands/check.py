"""`nblint check [PATHS...]`: report what kills kernels and what rots notebooks in git."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nblint.commands import _fixing
from nblint.reporters import FORMATS
from nblint.reporters.quoting import quote_path


def _codes(text: str) -> tuple[str, ...]:
    return tuple(
        code.strip().upper() if code.strip().upper() != "ALL" else "ALL" for code in text.split(",") if code.strip()
    )


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("check", help="check notebooks", description=__doc__)
    parser.add_argument("paths", nargs="*", metavar="PATH", help="notebooks or folders (default: the current folder)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument(
        "--select",
        type=_codes,
        metavar="CODES",
        help="comma-separated codes or prefixes to enable, replacing the configuration's",
    )
    parser.add_argument(
        "--ignore", type=_codes, default=(), metavar="CODES", help="comma-separated codes or prefixes to disable"
    )
    parser.add_argument(
        "--extend-select",
        type=_codes,
        default=(),
        metavar="CODES",
        help="codes or prefixes to enable on top of the selection",
    )
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="use this pyproject.toml or nblint.toml for every notebook"
    )
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings per code instead of the findings (text, full or json format)",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when something is reported")
    parser.add_argument(
        "--output-file", "-o", type=Path, metavar="FILE", help="write the report to FILE instead of standard output"
    )
    parser.add_argument(
        "--diff-base",
        metavar="REF",
        help="report only findings in cells added or changed since git revision REF (needs the `diff` extra: nbdime)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help="check in N worker processes (default: one per CPU; 1 checks in this process; small runs stay in process)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show notebooks done / total and the slow one on stderr (default: on a terminal only, not under CI)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the result cache (.nblint_cache/)"
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="keep the result cache in DIR (default: .nblint_cache/ beside the configuration file, else in the current folder; or $NBLINT_CACHE_DIR)",
    )
    _fixing.add_arguments(parser)
    parser.set_defaults(run=run)


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 process, got {value}")
    return value


def _check_with_progress(files, resolver, args: argparse.Namespace, cache):
    from nblint.run.progress import Progress, wanted
    from nblint.run.runner import check_files

    if not files or not wanted(args.progress, sys.stderr):
        return check_files(files, resolver, jobs=args.jobs, cache=cache)
    progress = Progress(len(files), sys.stderr)
    try:
        return check_files(files, resolver, jobs=args.jobs, cache=cache, progress=progress)
    finally:
        progress.close()


def run(args: argparse.Namespace) -> int:
    from nblint.reporters import STATISTICS_FORMATS, RunResult, render, render_statistics
    from nblint.run.config import ConfigError, ConfigResolver, Overrides, check_selectors
    from nblint.run.discovery import discover

    if args.statistics and args.format not in STATISTICS_FORMATS:
        print(
            f"nblint: error: --statistics works with --format {', '.join(STATISTICS_FORMATS)}, not {args.format}",
            file=sys.stderr,
        )
        return 2
    problem = _fixing.usage_problem(args)
    if problem is not None:
        print(f"nblint: error: {problem}", file=sys.stderr)
        return 2
    try:
        for flag in ("select", "ignore", "extend_select"):
            value = getattr(args, flag)
            if value is not None:
                check_selectors(value, f"--{flag.replace('_', '-')}")
        overrides = Overrides(
            config=args.config, select=args.select, ignore=args.ignore, extend_select=args.extend_select
        )
        resolver = ConfigResolver(overrides)
        found = discover(args.paths or ["."], resolver)
        for name in found.missing:
            print(f"nblint: error: {quote_path(name)}: no such file or folder", file=sys.stderr)
        for name, what in found.not_files:
            print(f"nblint: error: {quote_path(name)}: {what}; not checked", file=sys.stderr)
        for name in found.empty:
            print(f"nblint: warning: {quote_path(name)}: no notebooks found", file=sys.stderr)
        _remove_leftovers(found.files)
        cache = None
        if not args.no_cache:
            from nblint.run.cache import Cache, location_for

            cache = Cache(location_for(resolver, args.cache_dir))
        results = _check_with_progress(found.files, resolver, args, cache)
        if args.diff_base is not None:
            from nblint.integrations.diffbase import only_new

            results = only_new(results, args.diff_base, resolver)
        fixed, fix_failed = 0, set()
        if args.add_noqa:
            return max(_fixing.add_noqa(results), 2 if found.missing or found.not_files else 0)
        if args.fix or args.diff:
            fix_run, fix_failed = _fixing.fix(results, resolver, args)
            if args.diff:
                status = _fixing.show_diff(fix_run, args)
                return 2 if found.missing or found.not_files else status
            results, fixed = fix_run.results, fix_run.fixed
    except ConfigError as exc:
        print(f"nblint: error: {exc}", file=sys.stderr)
        return 2

    if (found.missing or found.not_files) and not found.files:
        return 2  # nothing was checked: a summary would only say so beside the error

    run_result = RunResult(checked=len(results), fixed=fixed)
    for result in results:
        for warning in result.warnings:
            print(f"nblint: warning: {quote_path(result.path)}: {warning}", file=sys.stderr)
        run_result.findings.extend(sorted(result.findings, key=lambda f: f.sort_key()))
        run_result.unreadable += result.unreadable
        run_result.not_checked += result.could_not_check
    # Not offered again where `--fix` has just failed (it could not apply or write them): it would fail again.
    offered = [finding for finding in run_result.findings if finding.path not in fix_failed]
    run_result.fixable, run_result.unsafe_fixable = _fixing.fixable_counts(offered, args.unsafe_fixes)
    output = render_statistics(args.format, run_result) if args.statistics else render(args.format, run_result)
    if args.output_file is not None:
        from nblint.core.atomic import write_text_atomic

        try:
            write_text_atomic(args.output_file, output)
        except OSError as exc:
            print(f"nblint: error: cannot write {args.output_file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        if args.format in ("text", "full"):
            sys.stdout.write(output.splitlines()[-1] + "\n")
    else:
        sys.stdout.write(output)

    if found.missing or found.not_files or fix_failed:
        return 2
    if run_result.findings and not args.exit_zero:
        return 1
    if run_result.not_checked:
        return 2  # no findings, but not because every notebook passed: never the exit of a clean run
    return 0


def _remove_leftovers(files) -> None:
    """Temporary files of a `--fix` (or strip) killed mid-write, beside the notebooks: removed, as
    nblint.core.atomic promises a later run does, so `git status` does not show them for ever."""
    from nblint.core.atomic import remove_stale_temporaries

    for folder in sorted({path.parent for path in files}):
        for removed in remove_stale_temporaries(folder):
            print(f"nblint: removed {removed}, a temporary file left by an interrupted run", file=sys.stderr)
