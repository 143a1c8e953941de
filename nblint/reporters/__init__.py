"""Output formats. Each module has `render(run: RunResult) -> str`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from nblint.core.findings import Finding

FORMATS = ("text", "full", "json", "github", "sarif")
STATISTICS_FORMATS = ("text", "full", "json")  # `--statistics`: a table, or JSON; annotations have no place for it


@dataclass
class RunResult:
    """What a run found over all its files, as the reporters render it."""

    findings: list[Finding] = field(default_factory=list)
    checked: int = 0  # notebooks the run went through, those below included
    unreadable: int = 0
    not_checked: int = 0  # notebooks whose check did not finish (an internal error, a worker that died)
    fixed: int = 0  # findings `--fix` fixed (they are not in `findings`)
    fixable: int = 0  # findings in `findings` that `--fix` would fix (with these options)
    unsafe_fixable: int = 0  # ... and those only `--unsafe-fixes` would
    kernelspecs: int | None = None  # `nblint doctor`: the kernelspecs it checked (None: not a doctor run)
    notebooks_given: bool = False  # `nblint doctor`: notebooks or folders were named (found or not)

    @property
    def notebooks_with_findings(self) -> int:
        return len({f.path for f in self.findings})

    def by_code(self) -> list[tuple[str, str, int]]:
        """(code, name, count) of each code reported, the most frequent first (ruff's --statistics order)."""
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for finding in self.findings:
            counts[finding.code] = counts.get(finding.code, 0) + 1
            names[finding.code] = finding.name
        return sorted(((code, names[code], n) for code, n in counts.items()), key=lambda row: (-row[2], row[0]))


def render(format_name: str, run: RunResult) -> str:
    module = importlib.import_module(f"nblint.reporters.{format_name}")
    return module.render(run)


def render_statistics(format_name: str, run: RunResult) -> str:
    """`--statistics`: the count of findings per code instead of the findings, as ruff's."""
    if format_name == "json":
        import json

        rows = [{"code": code, "name": name, "count": count} for code, name, count in run.by_code()]
        return json.dumps(rows, indent=2) + "\n"
    from nblint.reporters.text import statistics_lines, summary

    return "\n".join([*statistics_lines(run), summary(run)]) + "\n"
