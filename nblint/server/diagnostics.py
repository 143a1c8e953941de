"""Findings as LSP diagnostics: 0-based lines, columns in the client's position encoding (UTF-16 unless it
chose otherwise), nblint's severity, code and message as `nblint check` prints them."""

from __future__ import annotations

from typing import Callable

from lsprotocol import types

from nblint.core.findings import Finding, Severity
from nblint.core.read.notebook import split_lines

SOURCE = "nblint"

# Each rule's page (docs/rules/NBxxx.md, built by the docs): the diagnostic's codeDescription links to it.
RULE_DOCS_URL = "https://nblint.readthedocs.io/en/latest/rules/{code}/"

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

# (the document's lines, a 0-based line, a column in code points) -> the column in the client's units
Encode = Callable[[list[str], int, int], int]


def to_diagnostic(finding: Finding, lines: list[str], encode: Encode, code_in_message: bool = True) -> types.Diagnostic:
    """`code_in_message`: start the message with the code, for the clients whose plain hover shows only
    the message (jupyterlab-lsp, Neovim); VS Code shows Diagnostic.code beside it, as for ruff's server."""
    return types.Diagnostic(
        range=finding_range(finding, lines, encode),
        message=f"{finding.code} {finding.message}" if code_in_message else finding.message,
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=RULE_DOCS_URL.format(code=finding.code)),
        source=SOURCE,
        data={"name": finding.name, "fix": finding.fix},
    )


def finding_range(finding: Finding, lines: list[str], encode: Encode) -> types.Range:
    """The finding's span; the whole line when it has no column, the first line when it has no line."""
    line = max((finding.line or 1) - 1, 0)
    if line >= len(lines):
        line = max(len(lines) - 1, 0)
    text = lines[line] if line < len(lines) else ""
    if finding.column is None:
        start, end_line, end = _first_non_blank(text), line, len(text)
    else:
        start = min(finding.column - 1, len(text))
        end_line = (finding.end_line or finding.line or 1) - 1
        if end_line < line or end_line >= len(lines) or finding.end_column is None:
            end_line, end = line, len(text)
        else:
            end = min(finding.end_column - 1, len(lines[end_line]))
    return types.Range(
        start=types.Position(line=line, character=encode(lines, line, start)),
        end=types.Position(line=end_line, character=encode(lines, end_line, end)),
    )


def _first_non_blank(text: str) -> int:
    return len(text) - len(text.lstrip())


def document_lines(text: str) -> list[str]:
    """Lines as the engine counts them (split at \\n only), so a finding's line is the editor's line."""
    return split_lines(text) or [""]
