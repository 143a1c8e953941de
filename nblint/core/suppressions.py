"""Suppressions, applied as a filter after the rules run (as ruff does):

- on a line: `# nblint: ignore[NB101]`, `# nblint: ignore` (all), `# noqa: NB101`, bare `# noqa` (all);
- a whole cell: a comment line `# nblint: ignore-cell` or `# nblint: ignore-cell[NB101, NB201]`, or a cell
  tag `nblint-ignore` / `nblint-ignore[NB101]`;
- a whole notebook: `"nblint": {"ignore": ["NB601"]}` in the notebook metadata.

Codes may be prefixes (`NB2` covers NB201-NB204), as in the configuration's `select` and `ignore`. An
unknown code or a suppression nothing needed is not an error; a metadata `ignore` nblint cannot read as a
list of codes is a warning naming the notebook (a string is honoured as the codes it holds).
"""

from __future__ import annotations

import re

from nblint.core.findings import Finding
from nblint.core.lazyre import lazy_compile
from nblint.core.read.notebook import Notebook

ALL = "ALL"
_CODES = r"\[\s*([A-Za-z0-9_,\s]*)\]"
_INLINE = lazy_compile(
    rf"#\s*nblint:\s*ignore(?!-)(?:{_CODES})?|#\s*noqa(?::\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I
)
_CELL_COMMENT = lazy_compile(rf"^\s*#\s*nblint:\s*ignore-cell(?:{_CODES})?\s*$", re.I | re.M)
_CELL_TAG = lazy_compile(rf"^nblint-ignore(?:{_CODES})?$", re.I)


def _codes(text: str | None) -> set[str]:
    if text is None:
        return {ALL}
    codes = {code.upper() for code in re.split(r"[\s,]+", text) if code}
    return codes or {ALL}


def _covers(codes: set[str], code: str) -> bool:
    """A suppression's codes cover a code when one of them is it or a prefix of it (`NB2`, `NB20`)."""
    return ALL in codes or any(code.startswith(prefix) for prefix in codes)


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


def notebook_suppressions(notebook: Notebook, warnings: list[str]) -> set[str]:
    """The codes `metadata.nblint.ignore` suppresses; what cannot be read as codes adds to `warnings`."""
    section = notebook.metadata.get("nblint")
    if section is None:
        return set()
    if not isinstance(section, dict):
        warnings.append(
            f'metadata "nblint" is {_json_type(section)}, not an object such as {_EXAMPLE}; nothing suppressed'
        )
        return set()
    ignore = section.get("ignore")
    if ignore is None or ignore == []:
        return set()
    if ignore is True:
        return {ALL}
    if isinstance(ignore, list) and all(isinstance(code, str) for code in ignore):
        return {code.strip().upper() for code in ignore if code.strip()}
    if isinstance(ignore, str) and ignore.strip():
        codes = sorted(_codes(ignore))
        warnings.append(
            f'metadata "nblint": "ignore" is the string {ignore!r}, not a list; honoured as '
            f"{_json_list(codes)}, which is how to write it"
        )
        return set(codes)
    warnings.append(
        f'metadata "nblint": "ignore" is {_json_type(ignore)}, not a list of codes such as {_EXAMPLE}; nothing suppressed'
    )
    return set()


_EXAMPLE = '{"ignore": ["NB601"]}'


def _json_list(codes: list[str]) -> str:
    return "[" + ", ".join(f'"{code}"' for code in codes) + "]"


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list holding something other than codes"
    return "an object" if isinstance(value, dict) else type(value).__name__


def apply(findings: list[Finding], notebook: Notebook, warnings: list[str] | None = None) -> list[Finding]:
    """The findings no suppression covers; problems with the notebook's own suppression go to `warnings`
    (the guard and the server, which have nowhere to print them, leave it out)."""
    whole = notebook_suppressions(notebook, warnings if warnings is not None else [])
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
