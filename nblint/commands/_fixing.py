"""`nblint check --fix / --diff / --unsafe-fixes / --add-noqa`: what check does with findings besides reporting them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nblint.core.read.files import read_regular_bytes
from nblint.core.wording import plural
from nblint.reporters.quoting import quote_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes and write the notebooks back (atomically); report what remains",
    )
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, apply the unsafe fixes too (they change behaviour)",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print a unified diff of what --fix would change and write nothing (exit 1 when something would change)",
    )
    parser.add_argument(
        "--add-noqa",
        action="store_true",
        help="add `# nblint: ignore[CODE]` to the line of each finding; findings without a source line are left",
    )


def usage_problem(args: argparse.Namespace) -> str | None:
    if args.add_noqa and (args.fix or args.diff):
        return "--add-noqa cannot be combined with --fix or --diff"
    return None


def fixable_counts(findings, unsafe: bool) -> tuple[int, int]:
    """(findings a fix run with these options would fix, findings only --unsafe-fixes would)."""
    fixable = hidden = 0
    for finding in findings:
        if finding.autofix is None:
            continue
        if unsafe or finding.autofix.is_safe:
            fixable += 1
        else:
            hidden += 1
    return fixable, hidden


def fix(results, resolver, args: argparse.Namespace):
    """Apply the fixes (writing them unless --diff). Returns (the FixRun, the paths of the notebooks whose fixes
    could not be applied or written: the summary must not offer `--fix` for those, it has just failed)."""
    from nblint.run.fixrun import fix_results, unfixed, write

    keep = None
    if args.diff_base is not None:  # each pass fixes only what is new since REF, as the report shows only that
        import io

        from nblint.integrations.diffbase import only_new

        def keep(result):
            return only_new([result], args.diff_base, resolver, stderr=io.StringIO())[0]

    run = fix_results(results, resolver, args.unsafe_fixes, keep)
    originals = {result.path: result for result in results}
    failed: set[str] = set()
    for item in run.files:
        if item.problem:
            print(f"nblint: warning: {quote_path(item.path)}: {item.problem}", file=sys.stderr)
            if not item.changed:  # nothing could be applied (not merely: some left for another run)
                failed.add(item.path)
        if args.diff or not item.changed:
            continue
        try:
            write(item)
        except OSError as exc:
            print(
                f"nblint: error: {quote_path(item.path)}: cannot write the fixed notebook: {exc.strerror or exc}",
                file=sys.stderr,
            )
            unfixed(run, item, originals[item.path])
            failed.add(item.path)
    return run, failed


def show_diff(run, args: argparse.Namespace) -> int:
    """`--diff`: the diffs on stdout, a count on stderr; exit 1 when something would change, as ruff's."""
    from nblint.run.fixrun import unified_diff

    changed = [item for item in run.files if item.changed]
    sys.stdout.write("".join(unified_diff(item) for item in changed))
    _, hidden = fixable_counts((f for result in run.results for f in result.findings), args.unsafe_fixes)
    more = f" ({hidden} more fixable with `--unsafe-fixes`)" if hidden else ""
    if run.fixed:
        print(f"Would fix {plural(run.fixed, 'finding')} in {plural(len(changed), 'notebook')}.{more}", file=sys.stderr)
        return 1
    print(f"No findings would be fixed.{more}", file=sys.stderr)
    return 0


def add_noqa(results) -> int:
    """`--add-noqa`: one suppression comment per line that has findings; the rest are counted."""
    from nblint.core.fixes import FixError, apply_fixes
    from nblint.core.noqa import line_suppression_fix
    from nblint.core.read.notebook import Unreadable, parse_notebook
    from nblint.run.fixrun import FixedFile, write

    added = notebooks = left = 0
    status = 0
    for result in results:
        lines: dict[tuple[int, int], list[str]] = {}
        for finding in result.findings:
            if finding.cell is None or finding.line is None:
                left += 1
            else:
                lines.setdefault((finding.cell, finding.line), []).append(finding.code)
        if not lines:
            continue
        path = Path(result.path)
        try:
            raw = read_regular_bytes(path)
            notebook = parse_notebook(path, raw)
        except (OSError, Unreadable) as exc:
            print(f"nblint: warning: {result.path}: left unchanged: {exc}", file=sys.stderr)
            left += sum(len(codes) for codes in lines.values())
            continue
        fixes = []
        for (cell, line), codes in sorted(lines.items()):
            made = line_suppression_fix(notebook, cell, line, codes)
            if made is None:
                left += len(codes)
            else:
                fixes.append(made)
        if not fixes:
            continue
        text = notebook.text if notebook.text is not None else raw.decode("utf-8-sig")
        try:
            outcome = apply_fixes(text, fixes)
        except FixError as exc:
            print(f"nblint: warning: {result.path}: left unchanged: {exc}", file=sys.stderr)
            continue
        if not outcome.applied:
            continue
        try:
            write(FixedFile(result.path, text, outcome.text, bom="\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""))
        except OSError as exc:
            print(f"nblint: error: {result.path}: cannot write it: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        added += len(outcome.applied)
        notebooks += 1
    message = f"Added {plural(added, 'suppression comment')} to {plural(notebooks, 'notebook')}."
    if left:
        message += (
            f" {plural(left, 'finding')} left without one (notebook-level, outputs or ids, or a line where a "
            f"comment would change the code)."
        )
    print(message)
    return status
