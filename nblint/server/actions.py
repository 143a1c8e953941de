"""Code actions: a finding's safe fix, "ignore NBxxx on this line" and "ignore NBxxx in this cell".

All three are nblint.core.fixes Fixes (the suppressions from nblint.core.noqa, as `check --add-noqa`
makes them), turned into LSP text edits here:

- in a notebook document, a fix's source edits go to the cells' URIs; a fix that edits the notebook's
  JSON (a kernelspec, outputs, cell ids) cannot be sent to a notebook document over LSP 3.17, so it is
  not offered there (`nblint check --fix` applies it; so does the same action on the .ipynb opened as text);
- in an .ipynb opened as text, any safe fix is applied to the JSON (apply_fixes, keeping the file's
  layout) and sent as one edit of the lines that changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from lsprotocol import types

from nblint.core.findings import Finding
from nblint.core.fixes import Fix, FixError, JsonEdit, SourceEdit, apply_fixes
from nblint.core.noqa import cell_suppression_fix, line_suppression_fix
from nblint.core.read.notebook import Notebook, parse_notebook
from nblint.server.diagnostics import Encode

QUICK_FIX = types.CodeActionKind.QuickFix


def suppression_actions(
    uri: str,
    text: str,
    lines: list[str],
    finding: Finding,
    diagnostic: types.Diagnostic,
    encode: Encode,
    cell_action: bool = True,
) -> list[types.CodeAction]:
    """The ignore actions for a finding on a cell (or a Python text: then no cell action, there is no cell)."""
    notebook = _one_cell(text)
    fixes = [
        line_suppression_fix(notebook, 0, finding.line, [finding.code]) if finding.line else None,
        cell_suppression_fix(notebook, 0, [finding.code]) if cell_action else None,
    ]
    actions = []
    for fix in fixes:
        if fix is not None:
            edits = [_text_edit(edit, lines, encode) for edit in fix.edits]
            actions.append(_action(fix.description, {uri: edits}, diagnostic))
    return actions


def cell_fix_action(
    finding: Finding,
    diagnostic: types.Diagnostic,
    cell_uris: Sequence[str],
    cell_lines: dict[str, list[str]],
    encode: Encode,
) -> types.CodeAction | None:
    """A finding's safe fix in a notebook document: its source edits, cell by cell."""
    fix = finding.autofix
    if fix is None or not fix.is_safe or any(isinstance(edit, JsonEdit) for edit in fix.edits):
        return None
    changes: dict[str, list[types.TextEdit]] = {}
    for edit in fix.edits:
        if not 0 <= edit.cell < len(cell_uris):
            return None
        uri = cell_uris[edit.cell]
        changes.setdefault(uri, []).append(_text_edit(edit, cell_lines[uri], encode))
    return _action(fix.description, changes, diagnostic, preferred=True)


def file_fix_action(
    uri: str, text: str, finding: Finding, diagnostic: types.Diagnostic, encode: Encode
) -> types.CodeAction | None:
    """A finding's safe fix in an .ipynb opened as text: the JSON as `check --fix` would write it."""
    fix: Fix | None = finding.autofix
    if fix is None or not fix.is_safe:
        return None
    try:
        outcome = apply_fixes(text, [fix])
    except FixError:
        return None
    if not outcome.changed:
        return None
    return _action(fix.description, {uri: [_changed_lines(text, outcome.text, encode)]}, diagnostic, preferred=True)


def _changed_lines(old: str, new: str, encode: Encode) -> types.TextEdit:
    """One edit replacing the lines between the first and the last that differ."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    first = 0
    while first < min(len(old_lines), len(new_lines)) - 1 and old_lines[first] == new_lines[first]:
        first += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - first - 1
        and old_lines[len(old_lines) - 1 - tail] == new_lines[len(new_lines) - 1 - tail]
    ):
        tail += 1
    old_end = len(old_lines) - tail  # exclusive
    replaced = "\n".join(new_lines[first : len(new_lines) - tail])
    end = types.Position(line=old_end - 1, character=encode(old_lines, old_end - 1, len(old_lines[old_end - 1])))
    return types.TextEdit(range=types.Range(start=types.Position(line=first, character=0), end=end), new_text=replaced)


def _one_cell(text: str) -> Notebook:
    """A notebook holding one code cell of `text`: what nblint.core.noqa works on."""
    data = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    return parse_notebook(Path("cell.ipynb"), json.dumps(data).encode("utf-8"))


def _text_edit(edit: SourceEdit, lines: list[str], encode: Encode) -> types.TextEdit:
    """A SourceEdit (1-based lines and code-point columns, half-open) as an LSP TextEdit."""

    def position(line: int, column: int) -> types.Position:
        return types.Position(line=line - 1, character=encode(lines, line - 1, column - 1))

    return types.TextEdit(
        range=types.Range(
            start=position(edit.start_line, edit.start_column), end=position(edit.end_line, edit.end_column)
        ),
        new_text=edit.text,
    )


def _action(
    title: str, changes: dict[str, list[types.TextEdit]], diagnostic: types.Diagnostic, preferred: bool = False
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=QUICK_FIX,
        diagnostics=[diagnostic],
        is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes=changes),
    )
