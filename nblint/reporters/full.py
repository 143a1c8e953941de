"""The text format plus the offending source line with a caret, and the suggested rewrite."""

from __future__ import annotations

from nblint.reporters import RunResult
from nblint.reporters.text import line_for, summary, tail


def render(run: RunResult) -> str:
    blocks = []
    for finding in run.findings:
        block = [line_for(finding)]
        if finding.source_line is not None and finding.line is not None:
            number = str(finding.line)
            gutter = " " * len(number)
            source = finding.source_line.expandtabs(1)
            column = max((finding.column or 1) - 1, 0)
            width = 1
            if finding.end_line == finding.line and finding.end_column and finding.end_column > (finding.column or 1):
                width = finding.end_column - (finding.column or 1)
            width = max(1, min(width, len(source) - column))
            block.append(f" {gutter} |")
            block.append(f" {number} | {source}")
            block.append(f" {gutter} | {' ' * column}{'^' * width}")
        if finding.fix:
            block.append(f"  = help: {finding.fix}")
        blocks.append("\n".join(block))
    if tail(run):
        blocks.append("\n".join(tail(run)[1:]))
    blocks.append(summary(run))
    return "\n\n".join(blocks) + "\n"
