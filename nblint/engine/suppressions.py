"""Suppressions, applied as a filter after the rules run (as ruff does):

- on a line: `# nblint: ignore[NB101]`, `# nblint: ignore` (all), `# noqa: NB101`, bare `# noqa` (all);
- a whole cell: a comment line `# nblint: ignore-cell` or `# nblint: ignore-cell[NB101, NB201]`, or a cell
  tag `nblint-ignore` / `nblint-ignore[NB101]`;
- a whole notebook: `"nblint": {"ignore": ["NB601"]}` in the notebook metadata.

An unknown code or a suppression nothing needed is not an error.
"""

from __future__ import annotations

import re

from nblint.engine.findings import Finding
from nblint.engine.read.notebook import Notebook

ALL = "ALL"
_CODES = r"\[\s*([A-Za-z0-9_,\s]*)\]"
_INLINE = re.compile(rf"#\s*nblint:\s*ignore(?!-)(?:{_CODES})?|#\s*noqa(?::\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_CELL_COMMENT = re.compile(rf"^\s*#\s*nblint:\s*ignore-cell(?:{_CODES})?\s*$", re.I | re.M)
_CELL_TAG = re.compile(rf"^nblint-ignore(?:{_CODES})?$", re.I)


def _codes(text: str | None) -> set[str]:
    if text is None:
        return {ALL}
    codes = {code.upper() for code in re.split(r"[\s,]+", text) if code}
    return codes or {ALL}


def _covers(codes: set[str], code: str) -> bool:
    return ALL in codes or code in codes


def line_suppressions(line: str) -> set[str]:
    found: set[str] = set()
    for match in _INLINE.finditer(line):
        if match.group(0).lstrip("#").strip().lower().startswith("noqa"):
            found |= _codes(match.group(2))
        else:
            found |= _codes(match.group(1))
    return found


def cell_suppressions(notebook: Notebook, cell_index: int) -> set[str]:
    cell = notebook.cells[cell_index]
    found: set[str] = set()
    for tag in cell.tags:
        match = _CELL_TAG.match(tag.strip())
        if match:
            found |= _codes(match.group(1))
    if "nblint" in cell.source:
        for match in _CELL_COMMENT.finditer(cell.source):
            found |= _codes(match.group(1))
    return found


def notebook_suppressions(notebook: Notebook) -> set[str]:
    section = notebook.metadata.get("nblint")
    if isinstance(section, dict):
        ignore = section.get("ignore")
        if isinstance(ignore, list):
            return {str(code).upper() for code in ignore}
        if ignore is True:
            return {ALL}
    return set()


def apply(findings: list[Finding], notebook: Notebook) -> list[Finding]:
    whole = notebook_suppressions(notebook)
    by_cell: dict[int, set[str]] = {}
    kept = []
    for finding in findings:
        if _covers(whole, finding.code):
            continue
        if finding.cell is not None and 0 <= finding.cell < len(notebook.cells):
            if finding.cell not in by_cell:
                by_cell[finding.cell] = cell_suppressions(notebook, finding.cell)
            if _covers(by_cell[finding.cell], finding.code):
                continue
            lines = notebook.cells[finding.cell].lines
            if finding.line is not None and 1 <= finding.line <= len(lines):
                text = lines[finding.line - 1]
                if "#" in text and _covers(line_suppressions(text), finding.code):
                    continue
        kept.append(finding)
    return kept
