"""Suppression comments as fixes: `check --add-noqa`, and the language server's "ignore NBxxx" actions.

`line_suppression_fix(notebook, cell, line, codes)` returns the Fix that puts `# nblint: ignore[CODES]`
at the end of a cell's line, or adds the codes to the `# nblint: ignore[...]` already there, so that
the suppression filter (nblint.core.suppressions) drops those findings on the next check. It returns
None where a comment would change what the line does or would not be read as one (ruff's `--add-noqa`
wrote its comments into notebooks' JSON and broke them: ruff issue 5189):

- a line inside a multi-line string, or continued with a backslash;
- a cell that is not Python (`%%html`, `%%writefile`; a `%%bash` cell's shell lines are fine) or that
  does not tokenize as Python (NB001);
- a notebook older than nbformat 4 (convert it first: NB607);
- an IPython line other than a shell escape (`!cmd`, `x = !cmd`) or an install magic (`%pip`, `%conda`,
  `%mamba`, `%micromamba`, with or without the `%`), whose text a shell reads and where `#` starts a comment: `%matplotlib inline
  # x` is an error ("unrecognized arguments").

`cell_suppression_fix(notebook, cell, codes)` puts `# nblint: ignore-cell[CODES]` on the cell's first line
(below a `%%` magic line), or adds the codes to an ignore-cell comment already there.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable

from nblint.core.code.magics import PYTHON_CELL_MAGICS, cell_magic, mask_line, mask_lines
from nblint.core.fixes import Fix, SourceEdit, replace_line, safe
from nblint.core.read.notebook import Cell, Notebook

_SHELL_CELL_MAGICS = {"bash", "sh", "script"}
_SHELL_READS_IT = re.compile(
    r"^\s*(?:[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*)?!|^\s*%?(?:pip|conda|mamba|micromamba)\s"
)
_OURS = re.compile(r"#\s*nblint:\s*ignore\[([A-Za-z0-9_,\s]*)\]", re.I)
_OURS_CELL = re.compile(r"^(\s*#\s*nblint:\s*ignore-cell\[)([A-Za-z0-9_,\s]*)(\]\s*)$", re.I)


def _joined(codes: Iterable[str]) -> str:
    return ", ".join(sorted({code.strip().upper() for code in codes if code.strip()}))


def line_suppression_fix(notebook: Notebook, cell_index: int, line: int, codes: Iterable[str]) -> Fix | None:
    codes = list(codes)
    if notebook.original_major < 4 or not 0 <= cell_index < len(notebook.cells):
        return None  # source edits need nbformat 4 (nblint.core.fixes)
    cell = notebook.cells[cell_index]
    if cell.cell_type != "code" or not 1 <= line <= len(cell.lines):
        return None
    text = cell.lines[line - 1]
    if text.rstrip().endswith("\\"):
        return None
    comment_at = _comment_column(cell, line)
    if comment_at is False:
        return None
    if comment_at is not None:
        existing = _OURS.search(text, comment_at)
        if existing is not None:
            merged = _joined([*existing.group(1).split(","), *codes])
            return safe(
                f"Add {_joined(codes)} to the line's nblint: ignore",
                replace_line(cell_index, line, existing.start(1) + 1, existing.end(1) + 1, merged),
            )
    end = len(text.rstrip())
    if end == 0:
        return None  # a blank line carries nothing to suppress
    return safe(
        f"Ignore {_joined(codes)} on this line",
        replace_line(cell_index, line, end + 1, len(text) + 1, f"  # nblint: ignore[{_joined(codes)}]"),
    )


def _comment_column(cell: Cell, line: int) -> int | None | bool:
    """Where the line's comment starts (0-based), None when it has none, False when a comment cannot go there."""
    magic = cell_magic(cell.source)
    text = cell.lines[line - 1]
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        if magic not in _SHELL_CELL_MAGICS or text.lstrip().startswith("%%"):
            return False
        at = text.find(" #")  # a shell line: `#` after a blank starts its comment
        return at + 1 if at >= 0 else None
    if text.lstrip().startswith("%%"):
        return False
    if mask_line(text) is not None:
        if not _SHELL_READS_IT.match(text):
            return False
        at = text.find(" #")
        return at + 1 if at >= 0 else None
    tokens = _tokens(cell.lines)
    if tokens is None:
        return False
    for token in tokens:
        start_row, end_row = token.start[0], token.end[0]
        if start_row <= line < end_row and token.type not in (tokenize.NL, tokenize.NEWLINE):
            return False  # the line's end is inside a multi-line string
        if token.type == tokenize.COMMENT and start_row == line:
            return token.start[1]
    return None


def _tokens(lines: list[str]) -> list[tokenize.TokenInfo] | None:
    """The cell's tokens, its IPython lines masked when it does not tokenize as it is."""
    for attempt in (lines, mask_lines(lines)[0]):
        try:
            return list(tokenize.generate_tokens(io.StringIO("\n".join(attempt) + "\n").readline))
        except (tokenize.TokenError, SyntaxError):
            continue
    return None


def cell_suppression_fix(notebook: Notebook, cell_index: int, codes: Iterable[str]) -> Fix | None:
    codes = list(codes)
    if notebook.original_major < 4 or not 0 <= cell_index < len(notebook.cells):
        return None
    if notebook.cells[cell_index].cell_type != "code":
        return None
    cell = notebook.cells[cell_index]
    lines = cell.lines
    for number, text in enumerate(lines, start=1):
        existing = _OURS_CELL.match(text)
        if existing is not None:
            merged = _joined([*existing.group(2).split(","), *codes])
            return safe(
                f"Add {_joined(codes)} to the cell's nblint: ignore-cell",
                replace_line(cell_index, number, existing.start(2) + 1, existing.end(2) + 1, merged),
            )
    magic = cell_magic(cell.source)
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        return None  # its body is not Python: a `#` line may mean something else there
    below = next((n for n, text in enumerate(lines, start=1) if text.strip()), 1) + 1 if magic is not None else 1
    comment = f"# nblint: ignore-cell[{_joined(codes)}]"
    if below > len(lines):  # a cell of one magic line: the comment goes after it
        return safe(
            f"Ignore {_joined(codes)} in this cell",
            SourceEdit(cell_index, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 1, "\n" + comment),
        )
    return safe(f"Ignore {_joined(codes)} in this cell", SourceEdit(cell_index, below, 1, below, 1, comment + "\n"))
