"""The code cells of a notebook as one program: masked, joined, parsed once.

Cells run in one namespace, so they are joined into one module (as ruff does) and parsed once with
libcst. Each cell is first checked with `ast` (ten times faster than libcst) so a cell that is not
Python is reported as NB001 and left out rather than failing the whole parse; a cell that only fails
because of IPython syntax is masked line for line (see magics.py). A bisect over each cell's first
line maps a line of the joined module back to (cell, line in cell).
"""

from __future__ import annotations

import ast
import bisect
import warnings
from dataclasses import dataclass, field

import libcst as cst

from nblint.engine.code.cstparse import parse_module
from nblint.engine.code.magics import PYTHON_CELL_MAGICS, cell_magic, mask_lines
from nblint.engine.code.screen import Oversized, ProgramBudget, mask_statements, screen
from nblint.engine.read.notebook import Cell, MagicLine, Notebook


@dataclass
class CodeCell:
    cell: Cell
    text: str  # masked, as parsed
    start_line: int = 0  # 1-based line of the joined module where this cell begins
    line_count: int = 0
    # IPython strips a leading indent common to the cell; columns of dedented lines are shifted back by it.
    dedent: int = 0


@dataclass
class SyntaxProblem:
    cell: Cell
    line: int
    column: int
    message: str


@dataclass
class SetAside:
    """Code left out of the parse because it is too big for libcst (nblint.engine.code.screen): the
    statements masked in a cell, or the whole cell when masking them did not leave valid Python."""

    cell: Cell
    statements: list[Oversized]
    dedent: int = 0
    whole_cell: bool = False
    over_budget: bool = False  # left out whole because the program would pass MAX_PROGRAM_TOKENS with it


@dataclass
class Program:
    cells: list[CodeCell] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    budget: ProgramBudget = field(default_factory=ProgramBudget)
    module: cst.Module | None = None
    _starts: list[int] = field(default_factory=list)

    def locate(self, joined_line: int) -> tuple[CodeCell, int]:
        """(code cell, 1-based line within that cell) of a 1-based line of the joined module."""
        position = bisect.bisect_right(self._starts, joined_line) - 1
        code_cell = self.cells[max(position, 0)]
        return code_cell, joined_line - code_cell.start_line + 1


def build_program(notebook: Notebook, parse: bool = True) -> Program:
    """Mask and check every code cell; with `parse`, also parse the joined cells once with libcst."""
    program = Program()
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        prepared = _prepare_cell(cell, notebook, program)
        if prepared is not None:
            program.cells.append(prepared)
    if parse:
        _parse_joined(program)
    return program


def _prepare_cell(cell: Cell, notebook: Notebook, program: Program) -> CodeCell | None:
    lines = list(cell.lines)
    magic = cell_magic(cell.source)
    if magic is not None:
        if magic not in PYTHON_CELL_MAGICS:
            return None  # %%bash, %%html, %%writefile...: not Python that runs in the kernel
        first = next(i for i, line in enumerate(lines) if line.strip())
        notebook.magic_lines.append(MagicLine(cell.index, first + 1, 1, lines[first].strip()))
        lines[first] = ""

    dedent = _leading_indent(lines)
    if dedent:
        lines = [line[dedent:] if line[:dedent].isspace() else line for line in lines]

    text = "\n".join(lines) + "\n"
    oversized = screen(text)  # before `ast`, which needs ~1 GB for a list of a million numbers
    if oversized:
        lines = mask_statements(lines, oversized)
        text = "\n".join(lines) + "\n"
        program.set_aside.append(SetAside(cell, oversized, dedent))
    if not program.budget.admit(text, (code_cell.text for code_cell in program.cells)):
        if not oversized:
            program.set_aside.append(SetAside(cell, [], dedent))
        set_aside = program.set_aside[-1]
        set_aside.statements += screen(text, every=True)  # for NB102: its literals, counted as the screen does
        set_aside.whole_cell = set_aside.over_budget = True
        return None
    error = _syntax_error(text)
    if error is not None:
        masked, found = mask_lines(lines)
        for number, original in found:
            notebook.magic_lines.append(
                MagicLine(cell.index, number + 1, len(original) - len(original.lstrip()) + 1 + dedent, original.strip())
            )
        if found:
            text = "\n".join(masked) + "\n"
            error = _syntax_error(text)
            if error is not None and error[2].startswith("f-string") and _libcst_accepts(text):
                error = None  # PEP 701 f-strings (Python 3.12) that this interpreter's `ast` predates
        elif error[2].startswith("f-string") and _libcst_accepts(text):
            error = None
        if error is not None:
            if any(statement.header for statement in oversized):
                # `if True:` in place of `except (...huge...):`, say: the error may be ours, not the cell's
                program.set_aside[-1].whole_cell = True
                return None
            line, column, message = error
            program.syntax_errors.append(SyntaxProblem(cell, line, column + (dedent if column else 0), message))
            return None
    return CodeCell(cell, text, line_count=text.count("\n"), dedent=dedent)


def _libcst_accepts(text: str) -> bool:
    try:
        parse_module(text)
    except Exception:
        return False
    return True


def _leading_indent(lines: list[str]) -> int:
    for line in lines:
        if line.strip():
            return len(line) - len(line.lstrip())
    return 0


def _syntax_error(text: str) -> tuple[int, int, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not ours to report
            ast.parse(text)
    except SyntaxError as exc:
        return (exc.lineno or 1, exc.offset or 1, exc.msg or "invalid syntax")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes; nesting beyond the parser's stack
        return (1, 1, str(exc) or type(exc).__name__)
    return None


def _parse_joined(program: Program) -> None:
    """Parse the joined cells once; if libcst rejects the join, drop the cells it cannot parse alone."""
    if not program.cells:
        return
    try:
        program.module = parse_module(_join(program))
        return
    except cst.ParserSyntaxError:
        pass
    # `ast` accepted every cell but libcst does not: keep the cells libcst reads; the rest go unanalysed
    # (they are valid Python, so reporting them as syntax errors would be false).
    kept = []
    for code_cell in program.cells:
        try:
            parse_module(code_cell.text)
            kept.append(code_cell)
        except cst.ParserSyntaxError:
            continue
    program.cells = kept
    if kept:
        program.module = parse_module(_join(program))


def _join(program: Program) -> str:
    parts = []
    line = 1
    program._starts = []
    for code_cell in program.cells:
        code_cell.start_line = line
        program._starts.append(line)
        parts.append(code_cell.text)
        line += code_cell.line_count
    return "".join(parts)
