"""`path:cell N:line:col: CODE message`, one line each (N counts cells from 1, as people do), and a summary.

A long report ends with a count per code above the summary, so what dominates it shows without scrolling.
"""

from __future__ import annotations

from nblint.core.findings import Finding
from nblint.core.wording import plural
from nblint.reporters import RunResult
from nblint.reporters.quoting import quote_path

# From this many findings on, the text formats end with the per-code counts (`--statistics` alone prints
# only those): a screenful of findings is where a reader stops seeing which codes make it up.
TAIL_FROM = 25


def location(finding: Finding) -> str:
    parts = [quote_path(finding.path)]  # a newline in a name would split the line
    if finding.cell is not None:
        parts.append(f"cell {finding.cell + 1}")
    if finding.line is not None:
        parts.append(str(finding.line))
        parts.append(str(finding.column or 1))
    return ":".join(parts)


def line_for(finding: Finding) -> str:
    return f"{location(finding)}: {finding.code} {finding.message}"


def summary(run: RunResult) -> str:
    return _fixed(run) + _found(run) + _fixable(run)


def _found(run: RunResult) -> str:
    unreadable = f", {run.unreadable} unreadable" if run.unreadable else ""
    if run.kernelspecs is not None:
        return _doctor_found(run, unreadable)
    if run.checked == 0:
        return "No notebooks found to check."
    if run.not_checked:
        # Never "All checks passed" then: a notebook whose check did not finish has no findings to show.
        checked = run.checked - run.not_checked
        counts = f"{checked} checked, {run.not_checked} could not be checked{unreadable}"
        if not run.findings:
            return f"No findings, but not every notebook was checked ({counts})."
    else:
        counts = f"{run.checked} checked{unreadable}"
        if not run.findings:
            return f"All checks passed: {plural(run.checked, 'notebook')} checked{unreadable}."
    return (
        f"Found {plural(len(run.findings), 'finding')} in {plural(run.notebooks_with_findings, 'notebook')} ({counts})."
    )


def _doctor_found(run: RunResult, unreadable: str) -> str:
    """`nblint doctor`: what it checked is kernelspecs, and the notebooks when any were named."""
    kernels = plural(run.kernelspecs or 0, "kernelspec")
    if run.notebooks_given and run.checked == 0:
        return "No notebooks found to check" + (f" ({kernels} checked)." if run.kernelspecs else ".")
    if not run.notebooks_given and not run.kernelspecs:
        return "No kernelspecs found: Jupyter finds none here (`jupyter kernelspec list`)."
    if run.notebooks_given:
        checked = f"{plural(run.checked, 'notebook')} and {kernels} checked{unreadable}"
    else:
        checked = f"{kernels} checked (no notebook given)"
    if not run.findings:
        return f"All checks passed: {checked}."
    return f"Found {plural(len(run.findings), 'finding')} in {plural(run.notebooks_with_findings, 'file')} ({checked})."


def statistics_lines(run: RunResult) -> list[str]:
    """ruff's --statistics table: count, code, name; the most frequent code first."""
    rows = run.by_code()
    width = max((len(str(count)) for _, _, count in rows), default=1)
    return [f"{count:>{width}}  {code}  {name}" for code, name, count in rows]


def tail(run: RunResult) -> list[str]:
    """The per-code counts that close a long report (nothing for a short one)."""
    if len(run.findings) < TAIL_FROM:
        return []
    # By severity, the kernel killers (errors) first, as people read top-down; the most frequent first within.
    rank = {finding.code: finding.severity.rank for finding in run.findings}
    rows = sorted(run.by_code(), key=lambda row: (-rank[row[0]], -row[2], row[0]))
    width = max((len(str(count)) for _, _, count in rows), default=1)
    return ["", "By code:", *(f"  {count:>{width}}  {code}  {name}" for code, name, count in rows)]


def _fixed(run: RunResult) -> str:
    return f"Fixed {plural(run.fixed, 'finding')}. " if run.fixed else ""


def _fixable(run: RunResult) -> str:
    if run.fixable:
        more = f" ({run.unsafe_fixable} more with `--unsafe-fixes`)" if run.unsafe_fixable else ""
        return f" {run.fixable} fixable with `nblint check --fix`{more}."
    if run.unsafe_fixable:
        return f" {run.unsafe_fixable} fixable with `nblint check --fix --unsafe-fixes`."
    return ""


def render(run: RunResult) -> str:
    lines = [line_for(finding) for finding in run.findings]
    lines += tail(run)
    lines.append(summary(run))
    return "\n".join(lines) + "\n"
