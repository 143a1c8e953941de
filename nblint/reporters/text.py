"""`path:cell N:line:col: CODE message`, one line each (N counts cells from 1, as people do), and a summary."""

from __future__ import annotations

from nblint.engine.findings import Finding
from nblint.reporters import RunResult
from nblint.wording import plural


def location(finding: Finding) -> str:
    parts = [finding.path]
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
    unreadable = f" ({plural(run.unreadable, 'notebook')} unreadable)" if run.unreadable else ""
    if not run.findings:
        return f"All checks passed: {plural(run.checked, 'notebook')} checked.{unreadable}"
    return (
        f"Found {plural(len(run.findings), 'finding')} in {plural(run.notebooks_with_findings, 'notebook')}"
        f"{unreadable}."
    )


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
    lines.append(summary(run))
    return "\n".join(lines) + "\n"
