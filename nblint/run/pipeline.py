"""One notebook through nblint: read, notebook rules, one parse, one batched traversal, positions for
what was reported, suppressions. Any unexpected error becomes NB000 for that notebook alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from nblint.core import suppressions
from nblint.core.code import cstwalk
from nblint.core.code.magics import sparkmagic_cells
from nblint.core.code.program import CellCache, Program, build_program
from nblint.core.code.screen import BIG_STATEMENT, MAX_PROGRAM_TOKENS
from nblint.core.findings import Finding
from nblint.core.read.files import HandedBytes
from nblint.core.read.notebook import Notebook, Unreadable, parse_notebook, read_notebook
from nblint.core.wording import shorten
from nblint.rules import CHECK_RULES
from nblint.rules.base import CodeRule, NotebookRule, Report, Rule, program_words
from nblint.run import dependencies


@dataclass
class FileResult:
    """What checking one file found."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    unreadable: bool = False
    # The rules did not run to the end on it (an internal error, a worker that died): the summary says so
    # rather than count it among the notebooks checked, since a missing finding here proves nothing.
    could_not_check: bool = False
    # Files the rules sized besides the notebook (absolute path -> size, None when absent), filled by the
    # runner from nblint.dependencies: the cache re-checks them before reusing these findings.
    dependencies: dict[str, int | None] = field(default_factory=dict)
    # Problems with the notebook's own nblint settings (a metadata suppression nblint cannot read), for
    # one line each on stderr: not findings, since no rule was broken, but never silence.
    warnings: list[str] = field(default_factory=list)


def check_file(
    path: Path,
    enabled: Iterable[str],
    options: Mapping[str, Any],
    display_path: str | None = None,
    raw: bytes | HandedBytes | None = None,
    cells: CellCache | None = None,
) -> FileResult:
    """Check one notebook file (or `raw` bytes standing for it). Never raises for a bad notebook.
    `cells`: an editor session's cache of unchanged cells (see analyse)."""
    shown = display_path if display_path is not None else str(path)
    enabled = frozenset(enabled)
    try:
        try:
            notebook = read_notebook(path) if raw is None else parse_notebook(path, raw)
        except Unreadable as problem:
            result = FileResult(shown, unreadable=True)
            if problem.code in enabled:
                rule = CHECK_RULES[problem.code]
                result.findings.append(
                    Finding(
                        rule.code,
                        rule.name,
                        problem.message,
                        rule.severity,
                        shown,
                        line=problem.line,
                        column=problem.column,
                        json_line=problem.line,
                    )
                )
            return result
        warnings: list[str] = []
        findings = analyse(notebook, enabled, options, shown, warnings, cells)
        return FileResult(shown, findings, warnings=warnings)
    except Exception as exc:  # one broken notebook must never stop a run over many
        rule = CHECK_RULES["NB000"]
        return FileResult(
            shown,
            [
                Finding(
                    rule.code,
                    rule.name,
                    f"internal error while checking this notebook: {_describe(exc)}",
                    rule.severity,
                    shown,
                )
            ]
            if "NB000" in enabled
            else [],
            could_not_check=True,
        )


def analyse(
    notebook: Notebook,
    enabled: frozenset[str],
    options: Mapping[str, Any],
    shown: str,
    warnings: list[str] | None = None,
    cells: CellCache | None = None,
) -> list[Finding]:
    """The findings of one notebook. `warnings` collects what the notebook asks that nblint cannot do
    (a suppression it cannot read); `cells` (an editor session's cache, see program.CellCache) reuses
    the masking and parse of every cell whose source has not changed since the last call."""
    if warnings is None:
        warnings = []
    reports: list[Report] = []
    findings: list[Finding] = []

    if notebook.schema_error is not None and "NB004" in enabled:
        message, json_path, json_line = notebook.schema_error
        from nblint.core.read.schema import describe_path

        rule = CHECK_RULES["NB004"]
        findings.append(
            Finding(
                rule.code,
                rule.name,
                f"notebook does not match the nbformat schema at {describe_path(json_path)}: {message}",
                rule.severity,
                shown,
                json_line=json_line,
            )
        )

    # A machine code (NB8xx) enabled by a caller names no rule that runs here: nblint doctor runs those.
    rule_classes = [CHECK_RULES[code] for code in sorted(enabled) if code in CHECK_RULES]
    code_rules = [r for r in rule_classes if issubclass(r, CodeRule)]
    if code_rules:
        code_rules = may_fire(code_rules, notebook, options)
    program = None
    if notebook.is_python and not notebook.is_python2:
        # Masking (for NB001 and the install rules' magic lines) is cheap; the libcst parse is most of a
        # run's cost, so it happens only when a code rule will read the tree.
        program = build_program(notebook, parse=bool(code_rules), cells=cells)
        if "NB001" in enabled:
            rule = CHECK_RULES["NB001"]
            for problem in program.syntax_errors:
                cell = problem.cell
                if rule.EXPECTED_TAG in cell.tags:
                    continue  # the cell shows an error on purpose
                message, severity = rule.describe(cell.index, problem.line, problem.message, notebook.python_version)
                findings.append(
                    Finding(
                        rule.code,
                        rule.name,
                        message,
                        severity,
                        shown,
                        cell=cell.index,
                        cell_id=cell.id,
                        line=problem.line,
                        column=problem.column,
                        json_line=notebook.source_json_line(cell, problem.line),
                        source_line=_line_of(cell.lines, problem.line),
                    )
                )

    for rule_class in rule_classes:
        if issubclass(rule_class, NotebookRule):
            rule = rule_class(_options_for(rule_class, options))
            rule.check(notebook)
            reports.extend(rule.reports)

    if (
        program is not None
        and (program.module is not None or program.set_aside or sparkmagic_cells(notebook))
        and code_rules
    ):
        reports.extend(run_code_rules(program, code_rules, options, notebook))
    if program is not None and "NB005" in enabled:
        findings.extend(_set_aside_findings(program, notebook, shown))

    findings.extend(to_findings(reports, notebook, program, shown))
    return _one_per_line(suppressions.apply(_mask_credentials(findings), notebook, warnings))


def _one_per_line(findings: list[Finding]) -> list[Finding]:
    """Drop a finding whose rule yields to another rule reported on the same line (Rule.yields_to):
    `!pip install x` is one finding, NB501's, whose rewrite is already the `%pip` magic NB502 asks for.
    After suppressions, so silencing the kept finding brings the other back."""
    if not any(CHECK_RULES[f.code].yields_to is not None for f in findings):
        return findings
    reported = {(f.code, f.cell, f.line) for f in findings}
    return [f for f in findings if f.line is None or (CHECK_RULES[f.code].yields_to, f.cell, f.line) not in reported]


def program_text(notebook: Notebook) -> str:
    """The text a rule's pre-filter (CodeRule.needs) is checked on: every code cell's source as written,
    plus the words masking and the screen put in place of lines (`pass`, `x = None`, `if True:`)."""
    return "\n".join([cell.source for cell in notebook.cells if cell.cell_type == "code"] + ["pass None if True"])


def may_fire(
    code_rules: list[type[CodeRule]], notebook: Notebook, options: Mapping[str, Any] | None = None
) -> list[type[CodeRule]]:
    """The code rules whose pre-filter this notebook's code passes; a rule without one always runs.
    When none is left, the libcst parse and the traversal are skipped altogether."""
    if not any(rule.prefiltered() for rule in code_rules):
        return code_rules
    text = program_text(notebook)
    words = program_words(text)
    given = options or {}
    return [rule for rule in code_rules if rule.may_fire(text, _options_for(rule, given), words)]


def run_code_rules(
    program: Program, code_rules: list[type[CodeRule]], options, notebook: Notebook, live=None
) -> list[Report]:
    """`live`: the kernel's values under the guard (nblint.core.code.facts.ValueSource), else None."""
    from nblint.core.code.context import CodeContext

    context = CodeContext(
        program.module,
        notebook.path.parent,
        live=live,
        magic_lines=[magic.text for magic in notebook.magic_lines],
        spark_cells=sparkmagic_cells(notebook),
    )
    rules = [rule_class(context, _options_for(rule_class, options)) for rule_class in code_rules]
    if program.module is not None:
        # libcst's visit_batched rebuilds every node as it goes; cstwalk calls the same methods in the same order.
        cstwalk.visit_batched(program.module, [context.scopes, *rules])
    reports: list[Report] = []
    for rule in rules:
        for set_aside in program.set_aside:
            rule.check_set_aside(set_aside)
        rule.finish()
        reports.extend(rule.reports)
    dependencies.record(context.files_stat)
    return reports


def _set_aside_findings(program: Program, notebook: Notebook, shown: str) -> list[Finding]:
    """NB005: what the screen left out of the parse, and why."""
    rule = CHECK_RULES["NB005"]
    findings = []
    for set_aside in program.set_aside:
        cell = set_aside.cell
        if set_aside.over_budget:
            findings.append(
                Finding(
                    rule.code,
                    rule.name,
                    f"cell {cell.index + 1} is left out of the analysis: with it the notebook's big statements (data "
                    f"pasted as code, {BIG_STATEMENT:,} tokens or more each) would pass {MAX_PROGRAM_TOKENS:,} tokens, "
                    f"more than nblint's parser takes in bounded time and memory; only its literals were checked "
                    f"(NB102); keep data in files and load it",
                    rule.severity,
                    shown,
                    cell=cell.index,
                    cell_id=cell.id,
                    line=1,
                    column=1,
                    json_line=notebook.source_json_line(cell, 1),
                    source_line=shorten(_line_of(cell.lines, 1) or ""),
                )
            )
            continue
        for statement in set_aside.statements:
            where = (
                f"line {statement.line}"
                if statement.line == statement.end_line
                else f"lines {statement.line}-{statement.end_line}"
            )
            rest = (
                "the rest of the cell is not analysed either (without the statement it is not valid Python)"
                if set_aside.whole_cell
                else "the rest of the cell is analysed as usual"
            )
            findings.append(
                Finding(
                    rule.code,
                    rule.name,
                    f"cell {cell.index + 1}, {where}: a statement too big to analyse ({statement.reason}) is checked for "
                    f"huge literals (NB102) only; {rest}; keep data in a file, build long expressions in a loop",
                    rule.severity,
                    shown,
                    cell=cell.index,
                    cell_id=cell.id,
                    line=statement.line,
                    column=1,
                    json_line=notebook.source_json_line(cell, statement.line),
                    source_line=shorten(_line_of(cell.lines, statement.line) or ""),
                )
            )
    return findings


def _options_for(rule_class: type[Rule], options: Mapping[str, Any]) -> dict[str, Any]:
    return {option.key: options.get(option.key, option.parsed_default()) for option in rule_class.options} | {
        key: value for key, value in options.items()
    }


def to_findings(reports: list[Report], notebook: Notebook, program: Program | None, shown: str) -> list[Finding]:
    findings = []
    for report in reports:
        rule = report.rule
        cell_index, line, column, end_line, end_column = (
            report.cell,
            report.line,
            report.column,
            report.end_line,
            report.end_column,
        )
        if report.node is not None and program is not None:
            code_cell, line, column, end_line, end_column = program.position(report.node)
            cell_index = code_cell.cell.index
        cell = notebook.cells[cell_index] if cell_index is not None and 0 <= cell_index < len(notebook.cells) else None
        if cell is not None:
            if line is None and report.json_path:  # a finding about the cell's outputs or counts, not its source
                json_line = notebook.json_line(report.json_path)
            else:
                json_line = notebook.source_json_line(cell, line or 1)
            source_line = report.source_line if report.source_line is not None else _line_of(cell.lines, line)
        else:
            json_line = notebook.json_line(report.json_path) if report.json_path else None
            source_line = None
        findings.append(
            Finding(
                rule.code,
                rule.name,
                report.message,
                report.severity or rule.severity,
                shown,
                cell=cell_index,
                cell_id=cell.id if cell is not None else None,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                json_line=json_line,
                fix=report.fix,
                autofix=report.autofix,
                source_line=source_line,
                evidence=report.evidence,
            )
        )
    return findings


def _mask_credentials(findings: list[Finding]) -> list[Finding]:
    """No output format (nor the cache) repeats a credential NB704 recognises, whichever rule quotes the
    line that holds it (`--format full` shows source lines; NB001 or NB503 may report that line)."""
    from nblint.rules.git.secrets import mask_secrets

    for finding in findings:
        finding.message = mask_secrets(finding.message)
        if finding.source_line:
            finding.source_line = mask_secrets(finding.source_line)
        if finding.fix:
            finding.fix = mask_secrets(finding.fix)
    return findings


def _line_of(lines: list[str], line: int | None) -> str | None:
    if line is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1]


def _describe(exc: BaseException) -> str:
    import traceback  # only when a rule crashed: 4 ms of import otherwise paid by every run

    text = " ".join(str(exc).split())[:200]
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno})"
    return f"{type(exc).__name__}: {text}{where}" if text else f"{type(exc).__name__}{where}"
