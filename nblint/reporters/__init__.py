"""Output formats. Each module has `render(run: RunResult) -> str`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from nblint.engine.findings import Finding

FORMATS = ("text", "full", "json", "github", "sarif")


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    unreadable: int = 0
    fixed: int = 0  # findings `--fix` fixed (they are not in `findings`)
    fixable: int = 0  # findings in `findings` that `--fix` would fix (with these options)
    unsafe_fixable: int = 0  # ... and those only `--unsafe-fixes` would

    @property
    def notebooks_with_findings(self) -> int:
        return len({f.path for f in self.findings})


def render(format_name: str, run: RunResult) -> str:
    module = importlib.import_module(f"nblint.reporters.{format_name}")
    return module.render(run)
