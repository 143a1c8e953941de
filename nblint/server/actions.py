"""Code actions on a cell's findings: "ignore NBxxx on this line" and "ignore NBxxx in this cell", as
edits of the cell's text in the suppression syntax nblint honours (nblint.engine.suppressions)."""

from __future__ import annotations

import io
import tokenize

from lsprotocol import types

from nblint.engine.findings import Finding
from nblint.engine.suppressions import with_cell_suppression, with_line_suppression
from nblint.server.diagnostics import Encode

QUICK_FIX = types.CodeActionKind.QuickFix


def suppression_actions(uri: str, text: str, lines: list[str], finding: Finding, diagnostic: types.Diagnostic,
                        encode: Encode, cell_action: bool = True) -> list[types.CodeAction]:
    actions = []
    code = finding.code
    if finding.line is not None and 1 <= finding.line <= len(lines) and line_takes_comment(text, finding.line):
        number = finding.line - 1
        new_line = with_line_suppression(lines[number], code)
        if new_line is not None:
            edit = _replace_line(lines, number, new_line, encode)
            actions.append(_action(f"Ignore {code} on this line", uri, [edit], diagnostic))
    placed = with_cell_suppression(text, code) if cell_action else None
    if placed is not None:
        number, replace, new_text = placed
        if replace:
            edit = _replace_line(lines, number, new_text, encode)
        else:
            at = types.Position(line=number, character=0)
            edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=new_text + "\n")
        actions.append(_action(f"Ignore {code} in this cell", uri, [edit], diagnostic))
    return actions


def line_takes_comment(text: str, line: int) -> bool:
    """Whether a `# ...` comment can end this 1-based line: not when it is continued with a backslash, nor
    when its end lies inside a string that goes on to the next line (the comment would be part of it)."""
    lines = text.split("\n")
    if lines[line - 1].rstrip().endswith("\\"):
        return False
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > line:
                break
            if token.start[0] <= line < token.end[0] and token.type != tokenize.NL:
                return False  # a string (or an f-string part) spanning the end of the line
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # IPython syntax, or a cell that is not Python yet: the backslash test is all there is
    return True


def _replace_line(lines: list[str], number: int, new_text: str, encode: Encode) -> types.TextEdit:
    return types.TextEdit(
        range=types.Range(
            start=types.Position(line=number, character=0),
            end=types.Position(line=number, character=encode(lines, number, len(lines[number]))),
        ),
        new_text=new_text,
    )


def _action(title: str, uri: str, edits: list[types.TextEdit], diagnostic: types.Diagnostic) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=QUICK_FIX,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes={uri: edits}),
    )
