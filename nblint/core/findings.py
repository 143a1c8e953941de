"""What a rule reports, and how bad it is."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from nblint.core.fixes import Fix


class Severity(str, enum.Enum):
    """error = will crash or hang as written; warning = likely to; info = worth knowing."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass
class Finding:
    """One problem found in a notebook: which rule, what it says, and where."""

    code: str
    name: str
    message: str
    severity: Severity
    path: str
    # 0-based index into the notebook's `cells` (markdown and raw cells count); None for notebook-level.
    cell: int | None = None
    cell_id: str | None = None
    # 1-based, within the cell's source (or within the file for notebook-level findings that have a line).
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    # 1-based line of the raw .ipynb file that holds `line` of the cell (or the metadata key).
    json_line: int | None = None
    # The safe rewrite, shown by `--format full`.
    fix: str | None = None
    # The edits `check --fix` (or an editor's code action) applies: see nblint.core.fixes.
    autofix: Fix | None = None
    # The offending source line, shown by `--format full`; not part of the JSON output.
    source_line: str | None = field(default=None, compare=False)
    # Structured evidence (nblint.core.evidence): estimate_bytes, budget_bytes, shape, dtype, values for
    # size rules; loop_line, missing for loops. JSON types only; JSON output's `evidence` object.
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def sort_key(self) -> tuple:
        return (
            self.path,
            -1 if self.cell is None else self.cell,
            self.line or 0,
            self.column or 0,
            self.code,
            self.message,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["autofix"] = self.autofix.to_dict() if self.autofix is not None else None
        data.pop("source_line")
        data["evidence"] = dict(self.evidence)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        data = dict(data)
        data["severity"] = Severity(data["severity"])
        if data.get("autofix") is not None:
            data["autofix"] = Fix.from_dict(data["autofix"])
        evidence = data.get("evidence")  # absent in entries written before findings had evidence
        data["evidence"] = dict(evidence) if isinstance(evidence, dict) else {}
        return cls(**data)
