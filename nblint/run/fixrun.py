"""`check --fix` / `--diff`: apply the findings' fixes to each notebook, check again, repeat.

A notebook's fixes are applied in one go (nblint.core.fixes.apply_fixes); a fix that overlaps one
already taken waits for the next pass, which checks the fixed text again (in memory) and applies what is
still proposed, as ruff does, up to MAX_PASSES. The result per notebook is the fixed text and the
findings that remain in it; `--fix` writes the text atomically, `--diff` prints a unified diff.

Only notebooks with an applicable fix are read again; the rest keep the findings of the first check.
A notebook that cannot be fixed (a fix that no longer fits the file) is left as it is, with one line
saying why.
"""

from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from nblint.core.findings import Finding
from nblint.core.fixes import FixError, apply_fixes
from nblint.core.read.files import read_regular_bytes
from nblint.run.pipeline import FileResult, check_file

MAX_PASSES = 10
_BOM = "\ufeff"


@dataclass
class FixedFile:
    path: str
    original: str
    text: str
    fixed: int = 0  # fixes applied, over all passes
    result: FileResult | None = None  # the last check of `text`
    problem: str | None = None  # why it was left as it was
    bom: str = ""  # a byte-order mark the file starts with, kept as it was

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class FixRun:
    results: list[FileResult]  # the findings that remain, one result per notebook checked
    files: list[FixedFile] = field(default_factory=list)  # the notebooks fixes were applied to

    @property
    def fixed(self) -> int:
        return sum(item.fixed for item in self.files)


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.autofix is not None and (unsafe or finding.autofix.is_safe)


def fix_results(
    results: list[FileResult], resolver, unsafe: bool, keep: Callable[[FileResult], FileResult] | None = None
) -> FixRun:
    """Fix every notebook of `results` that has an applicable fix; nothing is written here. `keep` filters
    each check of a fixed text as the first check was filtered (`--diff-base`: only what is new is fixed)."""
    from nblint.core.deepstack import call_with_deep_stack

    run = FixRun([])
    for result in results:
        if not any(applicable(finding, unsafe) for finding in result.findings):
            run.results.append(result)
            continue
        fixed = call_with_deep_stack(functools.partial(_fix_one, result, resolver, unsafe, keep))
        run.files.append(fixed)
        run.results.append(fixed.result)
    return run


def unfixed(run: FixRun, item: FixedFile, original: FileResult) -> None:
    """Report `item`'s notebook as it still is (its fixed text could not be written)."""
    run.results[run.results.index(item.result)] = original
    item.fixed = 0


def _fix_one(result: FileResult, resolver, unsafe: bool, keep) -> FixedFile:
    path = Path(result.path)
    try:
        raw = read_regular_bytes(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return FixedFile(result.path, "", "", result=result, problem=f"cannot read it again: {exc}")
    bom = _BOM if raw.startswith(_BOM) else ""
    original = raw[len(bom) :]
    item = FixedFile(result.path, original, original, result=result, bom=bom)
    settings = resolver.for_path(path)
    enabled, options = settings.rules_for(path), settings.options
    for _ in range(MAX_PASSES):
        fixes = [finding.autofix for finding in item.result.findings if applicable(finding, unsafe)]
        if not fixes:
            return item
        try:
            outcome = apply_fixes(item.text, fixes)
        except FixError as exc:
            item.problem = f"cannot apply its fixes: {exc}"
            return item
        if not outcome.applied:
            return item
        item.fixed += len(outcome.applied)
        item.text = outcome.text
        item.result = check_file(
            path, enabled, options, display_path=result.path, raw=(bom + item.text).encode("utf-8")
        )
        item.result.findings.sort(key=lambda finding: finding.sort_key())
        if keep is not None:
            item.result = keep(item.result)
    if any(applicable(finding, unsafe) for finding in item.result.findings):
        item.problem = f"fixes still proposed after {MAX_PASSES} passes; the rest are left for another run"
    return item


def write(item: FixedFile) -> None:
    """Write a fixed notebook atomically (through a symlink, to the file it names). Raises OSError."""
    from nblint.core.atomic import write_bytes_atomic

    write_bytes_atomic(Path(os.path.realpath(item.path)), (item.bom + item.text).encode("utf-8"))


def unified_diff(item: FixedFile) -> str:
    lines = difflib.unified_diff(
        item.original.splitlines(keepends=True),
        item.text.splitlines(keepends=True),
        fromfile=f"a/{item.path}",
        tofile=f"b/{item.path}",
    )
    # A last line without its newline gets git's marker, so the diff stays one line per line.
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
