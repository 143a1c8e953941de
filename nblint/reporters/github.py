"""GitHub Actions workflow commands: one annotation per finding on the notebook's file line.

`line` is the raw .ipynb line (json_line), so the annotation lands where a pull request's diff shows
that source line. Severity maps to error / warning / notice.
"""

from __future__ import annotations

from nblint.core.findings import Finding
from nblint.reporters import RunResult

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = [f"file={_escape_property(finding.path)}"]
    if finding.json_line is not None:
        properties.append(f"line={finding.json_line}")
    properties.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
    where = f"cell {finding.cell + 1}, line {finding.line}: " if finding.cell is not None and finding.line else ""
    return f"::{_LEVEL[finding.severity.value]} {','.join(properties)}::{_escape_data(where + finding.message)}"


def render(run: RunResult) -> str:
    return "".join(annotation(finding) + "\n" for finding in run.findings)
