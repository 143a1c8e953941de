"""One cell through the engine, with the kernel's live values: what to refuse, what to warn about.

The cell becomes a one-cell notebook and goes through the same steps as `nblint check` (magic masking,
one libcst parse, one batched traversal of every enabled code rule, positions, suppressions), with a
LiveValues source on the CodeContext. The verdict:

- refused: findings of the size rules (those with the `memory-budget` option) whose estimate is over
  the memory available to the kernel. They are found by running the size rules again with the budget
  set to that figure, so every size rule, present or future, is judged the same way without nblint
  reading numbers back out of messages;
- warned: every other finding (over `memory-budget` yet under what is available, loops with no exit,
  `input()`, pools...): likely, not certain. The cell runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, cast

from nblint.core import suppressions
from nblint.core.code.facts import Facts
from nblint.core.findings import Finding
from nblint.core.options import MEMORY_BUDGET, format_size
from nblint.core.read.notebook import Cell, Notebook

SHOWN_PATH = "<cell>"


@dataclass
class Verdict:
    refused: list[str] = field(default_factory=list)  # one line each, ready to print
    warnings: list[str] = field(default_factory=list)
    module: Any = None  # the cell's libcst module (for the imports it records), None when not Python
    available: int | None = None  # the memory figure, when one was read


class RecordingValues:
    """A ValueSource that remembers which live names a check read, for the evidence in messages."""

    def __init__(self, live) -> None:
        self._live = live
        self.evidence: dict[str, str] = {}

    def binds(self, name: str) -> bool:
        return self._live.binds(name)

    def origin(self, name: str) -> str | None:
        return self._live.origin(name)

    def constant(self, name: str) -> Any:
        value = self._live.constant(name)
        if type(value) in (int, float):
            self.evidence.setdefault(name, f"{name} is {value:,}")
        return value

    def __getattr__(self, name: str) -> Any:
        # the key counting of LiveValues (distinct_counts, merge_rows, unstack_cells), passed through
        return getattr(self._live, name)

    def facts(self, name: str) -> Facts | None:
        found = self._live.facts(name)
        if found is not None and found.evidence:
            self.evidence.setdefault(name, found.evidence)
        return found


def one_cell_notebook(source: str, tags: Iterable[str] = (), folder: Path | None = None) -> Notebook:
    metadata = {"tags": [t for t in tags if isinstance(t, str)]} if tags else {}
    data: dict[str, Any] = {
        "cell_type": "code",
        "source": source,
        "metadata": metadata,
        "outputs": [],
        "execution_count": None,
    }
    cell = Cell(0, "code", source, data, ("cells", 0))
    notebook_data = {"cells": [data], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return Notebook((folder or Path.cwd()) / SHOWN_PATH, "", notebook_data, 4, [cell])


def cell_findings(notebook: Notebook, program, rules, options: Mapping[str, Any], live) -> list[Finding]:
    from nblint.run.pipeline import run_code_rules, to_findings

    reports = run_code_rules(program, rules, options, notebook, live=live)
    if not reports:
        return []
    return suppressions.apply(to_findings(reports, notebook, program, SHOWN_PATH), notebook)


def check_cell(
    source: str,
    live,
    rules: list,
    options: Mapping[str, Any],
    available: "Callable[[], int | None]",
    tags: Iterable[str] = (),
    refuse: bool = True,
    floor: int | None = None,
) -> Verdict:
    """`rules`: the enabled CodeRule classes; `available()`: the bytes the kernel can still allocate
    (None: unknown, nothing is refused), asked only when a size rule reported something (reading the
    cgroup and /proc costs more than most checks); `floor`: the last figure seen, which lowers the
    first pass's budget in a container smaller than the budget; `refuse=False` turns refusals into
    warnings (`%nblint check`)."""
    from nblint.core.code.magics import REMOTE_CELL_MAGICS, cell_magic
    from nblint.core.code.program import build_program

    if cell_magic(source) in REMOTE_CELL_MAGICS:
        return Verdict()  # %%spark runs in the cluster's driver: this kernel's values and memory are not its own
    notebook = one_cell_notebook(source, tags)
    program = build_program(notebook)
    verdict = Verdict(module=program.module)
    if program.module is None:  # %%bash and the like, or not Python: left alone
        return verdict
    recording = RecordingValues(live)
    budget = options[MEMORY_BUDGET.key]
    if floor is not None:
        budget = min(budget, floor)  # a small container: what cannot fit is over budget too
    findings = cell_findings(notebook, program, rules, {**options, MEMORY_BUDGET.key: budget}, recording)
    if not findings:
        return verdict
    refusals: dict[tuple, Finding] = {}
    sized = {rule.code for rule in rules if MEMORY_BUDGET in rule.options}
    free = available() if refuse and any(f.code in sized for f in findings) else None
    verdict.available = free
    if free is not None:
        size_rules = [rule for rule in rules if rule.code in sized]
        again = cell_findings(notebook, program, size_rules, {**options, MEMORY_BUDGET.key: free}, recording)
        # a finding without an estimate (keys too many to count in time) is never refused
        refusals = {_where(f): f for f in again if not f.evidence or "estimate_bytes" in f.evidence}
    for finding in findings:
        if _where(finding) in refusals:
            # refusals are looked for only when free is known
            verdict.refused.append(refusal_line(refusals[_where(finding)], cast(int, free), recording.evidence))
        else:
            verdict.warnings.append(warning_line(finding, recording.evidence))
    return verdict


def _where(finding: Finding) -> tuple:
    return finding.code, finding.line, finding.column


def _evidence_for(finding: Finding, evidence: Mapping[str, str]) -> str:
    """The live values the finding's line names (`rows has 47,912 items`)."""
    line = finding.source_line or ""
    return "; ".join(text for name, text in evidence.items() if re.search(rf"(?<![\w.]){re.escape(name)}\b", line))


def refusal_line(finding: Finding, available: int, evidence: Mapping[str, str]) -> str:
    """The refusal, built from the finding's evidence fields (nblint.core.evidence): what the code does,
    the live values that sized it, and the memory this kernel has instead of the budget."""
    from nblint.core.evidence import is_size

    where = f"{format_size(available)} available to this kernel"
    fields = finding.evidence
    if is_size(fields):
        claim = fields["claim"]
        shown = dict(fields.get("values") or {})
        for name, text in evidence.items():  # what the guard read that the rule did not name itself
            if name not in shown and re.search(rf"(?<![\w.]){re.escape(name)}\b", fields["subject"]):
                shown[name] = text
        live = "; ".join(text for text in shown.values() if text not in claim and text not in fields["subject"])
        if live:
            claim = f"{claim[:-1]}; {live})" if claim.endswith(")") else f"{claim} ({live})"
        message = f"{fields['subject']} {claim}, {where}; {fields['way_out']}"
    else:  # a size rule without fields yet: its message as written, the figure after it
        live = _evidence_for(finding, evidence)
        message = f"{finding.message.rstrip(' ,;')} ({live}{'; ' if live else ''}{where})"
    return f'{finding.code} refused: {message}, or add "# nblint: ignore[{finding.code}]" to run it anyway'


def warning_line(finding: Finding, evidence: Mapping[str, str]) -> str:
    live = _evidence_for(finding, evidence)
    where = f"line {finding.line}: " if finding.line else ""
    return f"nblint {finding.code} warning ({where}the cell runs): {finding.message}" + (f" [{live}]" if live else "")
