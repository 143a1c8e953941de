"""The code cells of a notebook as one program: masked, joined, parsed once.

Cells run in one namespace, so they are joined into one module (as ruff does) and parsed once with
libcst. Each cell is first checked with `ast` (ten times faster than libcst) so a cell that is not
Python is reported as NB001 and left out rather than failing the whole parse; a cell that only fails
because of IPython syntax is masked line for line (see magics.py). Syntax is judged by libcst's
grammar (Python 3.0 to 3.14 in libcst 1.9), not only by the running interpreter's: a cell `ast` rejects
but libcst reads (`type X = int` checked on Python 3.11) is analysed, not reported. A bisect over each
cell's first line maps a line of the joined module back to (cell, line in cell).

Statements too big for libcst (a pasted million-element literal, a 10,000-term chain) are found from the
text before any parse (screen.py) and set aside: masked out of the parse, and handed to the rules that
can judge them from the cheap reading (Program.set_aside).

An editor session (nblint server) analyses the same notebook on every edit. There a CellCache keeps
each cell's masking, checks and own libcst parse by its source, and the program's module is stitched
from the cells' statements: the same statements in the same order, for the same one traversal, but
an edit re-parses only the cell that changed. Positions then come from each cell's own parse. Both
ways give the same findings (tests/test_server.py compares them on the corpus).
"""

from __future__ import annotations

import ast
import bisect
import warnings
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from nblint.core.code.cstparse import parse_module
from nblint.core.code.magics import PYTHON_CELL_MAGICS, cell_magic, is_remote_pyspark, mask_lines, strip_prompts
from nblint.core.code.screen import Oversized, ProgramBudget, mask_statements, screen
from nblint.core.read.notebook import Cell, MagicLine, Notebook, split_lines


@dataclass
class CodeCell:
    """A code cell as it sits in the joined module that is parsed."""

    cell: Cell
    text: str  # masked, as parsed
    start_line: int = 0  # 1-based line of the joined module where this cell begins
    line_count: int = 0
    # IPython strips a leading indent common to the cell; columns of dedented lines are shifted back by it.
    dedent: int = 0
    # ... and the prompts of a pasted session (`>>> `): the width stripped from each line, when any was.
    prompts: tuple[int, ...] = ()
    # The cell's own parse, when the program was stitched from cached cells (build_program with `cells`).
    parsed: "ParsedCell | None" = None

    def column_shift(self, line: int) -> int:
        """How far IPython moved this 1-based line of the cell to the left before running it."""
        return self.dedent + (self.prompts[line - 1] if 0 < line <= len(self.prompts) else 0)


@dataclass
class SyntaxProblem:
    """A cell that does not parse: where, and what Python says."""

    cell: Cell
    line: int
    column: int
    message: str


@dataclass
class SetAside:
    """Code left out of the parse because it is too big for libcst (nblint.core.code.screen): the
    statements masked in a cell, or the whole cell when masking them did not leave valid Python."""

    cell: Cell
    statements: list[Oversized]
    dedent: int = 0
    whole_cell: bool = False
    over_budget: bool = False  # left out whole because the program would pass MAX_PROGRAM_TOKENS with it


@dataclass
class Program:
    """The notebook's code cells joined into one module, parsed once for every code rule."""

    cells: list[CodeCell] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    budget: ProgramBudget = field(default_factory=ProgramBudget)
    module: cst.Module | None = None
    _starts: list[int] = field(default_factory=list)
    _positions: Any = None  # PositionProvider's map of the joined module, resolved on first use

    def locate(self, joined_line: int) -> tuple[CodeCell, int]:
        """(code cell, 1-based line within that cell) of a 1-based line of the joined module."""
        position = bisect.bisect_right(self._starts, joined_line) - 1
        code_cell = self.cells[max(position, 0)]
        return code_cell, joined_line - code_cell.start_line + 1

    def position(self, node: cst.CSTNode) -> tuple[CodeCell, int, int, int, int]:
        """(code cell, line, column, end line, end column) of a node of the module, 1-based within its cell.
        Positions are resolved only when something is reported: one codegen pass after the traversal."""
        if self.cells and self.cells[0].parsed is not None:  # stitched: each cell knows its own positions
            for code_cell in self.cells:
                where = code_cell.parsed.positions().get(node)
                if where is not None:
                    return (
                        code_cell,
                        where.start.line,
                        where.start.column + 1 + code_cell.column_shift(where.start.line),
                        where.end.line,
                        where.end.column + 1 + code_cell.column_shift(where.end.line),
                    )
            raise KeyError(f"{type(node).__name__} node is not in any cell of the program")
        if self._positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        where = self._positions[node]
        code_cell, line = self.locate(where.start.line)
        column = where.start.column + 1 + code_cell.column_shift(line)
        end_cell, end_line = self.locate(where.end.line)
        end_column = where.end.column + 1 + code_cell.column_shift(end_line)
        if end_cell is not code_cell:  # a node never spans cells, but be safe
            end_line, end_column = line, column
        return code_cell, line, column, end_line, end_column


def build_program(notebook: Notebook, parse: bool = True, cells: "CellCache | None" = None) -> Program:
    """Mask and check every code cell; with `parse`, also parse the joined cells once with libcst.

    With `cells` (a long-lived editor session: nblint server), each cell's masking, checks and libcst
    parse are looked up by its source, so an edit costs the work of the cell that changed."""
    program = Program()
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        prepared = cells.prepared(cell.source) if cells is not None else prepare_source(cell.source)
        code_cell = _place(prepared, cell, notebook, program)
        if code_cell is not None:
            program.cells.append(code_cell)
    if parse:
        if cells is not None:
            _stitch(program, cells)
        else:
            _parse_joined(program)
    if cells is not None:
        cells.finish()
    return program


@dataclass(frozen=True)
class PreparedCell:
    """What masking and checking one cell's source gives, wherever the cell sits in the notebook."""

    text: str | None  # the masked text as parsed; None for a cell that is not analysed
    dedent: int = 0
    magics: tuple[tuple[int, int, str], ...] = ()  # (0-based line, 1-based column, original text)
    error: tuple[int, int, str] | None = None  # (line, column, message) of a cell that is not Python
    prompts: tuple[int, ...] = ()  # the width of a pasted session's prompt stripped from each line
    oversized: tuple[Oversized, ...] = ()  # statements set aside, too big for libcst
    whole_cell_aside: bool = False  # masking them did not leave valid Python: the whole cell is set aside
    screened: str = ""  # the text once oversized statements are masked: what the program's token budget counts


def prepare_source(source: str) -> PreparedCell:
    lines = split_lines(source)
    magics: list[tuple[int, int, str]] = []
    magic = cell_magic(source)
    if magic is not None:
        if magic not in PYTHON_CELL_MAGICS and not (magic == "spark" and is_remote_pyspark(source)):
            return PreparedCell(None)  # %%bash, %%html, %%writefile...: not Python that runs in the kernel
        first = next(i for i, line in enumerate(lines) if line.strip())
        magics.append((first, 1, lines[first].strip()))
        lines[first] = ""

    dedent = _leading_indent(lines)
    if dedent:
        lines = [line[dedent:] if line[:dedent].isspace() else line for line in lines]

    text = "\n".join(lines) + "\n"
    oversized = tuple(screen(text))  # before `ast`, which needs ~1 GB for a list of a million numbers
    if oversized:
        lines = mask_statements(lines, list(oversized))
        text = "\n".join(lines) + "\n"
    screened = text
    error = _syntax_error(text)
    prompts: list[int] = []
    if error is not None:
        lines, prompts = strip_prompts(lines)
        masked, found = mask_lines(lines)
        for number, original in found:
            magics.append(
                (number, len(original) - len(original.lstrip()) + 1 + dedent + prompts[number], original.strip())
            )
        if found or any(prompts):
            text = "\n".join(masked) + "\n"
            error = _syntax_error(text)
        if error is not None and error[3] and _libcst_accepts(text):
            error = None  # newer syntax than this interpreter's `ast` knows (PEP 695, PEP 701...)
        if error is not None:
            if any(statement.header for statement in oversized):
                # `if True:` in place of `except (...huge...):`, say: the error may be ours, not the cell's
                return PreparedCell(
                    None, dedent, tuple(magics), oversized=oversized, whole_cell_aside=True, screened=screened
                )
            line, column, message, _ = error
            if column:
                column += dedent + (prompts[line - 1] if 0 < line <= len(prompts) else 0)
            return PreparedCell(
                None, dedent, tuple(magics), (line, column, message), oversized=oversized, screened=screened
            )
    return PreparedCell(
        text,
        dedent,
        tuple(magics),
        prompts=tuple(prompts) if any(prompts) else (),
        oversized=oversized,
        screened=screened,
    )


def _place(prepared: PreparedCell, cell: Cell, notebook: Notebook, program: Program) -> CodeCell | None:
    """Record a prepared cell's magics, set-aside statements and syntax error against this cell; its
    CodeCell when analysed. A cell that would take the program past its token budget is set aside whole."""
    for line, column, text in prepared.magics:
        notebook.magic_lines.append(MagicLine(cell.index, line + 1, column, text))
    if prepared.oversized:
        program.set_aside.append(SetAside(cell, list(prepared.oversized), prepared.dedent, prepared.whole_cell_aside))
    if prepared.whole_cell_aside:
        return None
    if not program.budget.admit(prepared.screened, (code_cell.text for code_cell in program.cells)):
        if not prepared.oversized:
            program.set_aside.append(SetAside(cell, [], prepared.dedent))
        set_aside = program.set_aside[-1]
        set_aside.statements += screen(
            prepared.screened, every=True
        )  # for NB102: its literals, counted as the screen does
        set_aside.whole_cell = set_aside.over_budget = True
        return None
    if prepared.error is not None:
        line, column, message = prepared.error
        program.syntax_errors.append(SyntaxProblem(cell, line, column, message))
    if prepared.text is None:
        return None
    return CodeCell(
        cell, prepared.text, line_count=prepared.text.count("\n"), dedent=prepared.dedent, prompts=prepared.prompts
    )


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


def _syntax_error(text: str) -> tuple[int, int, str, bool] | None:
    """(line, column, message, whether libcst's grammar may still accept it) of the first syntax error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not ours to report
            ast.parse(text)
    except SyntaxError as exc:
        message = exc.msg or "invalid syntax"
        # Past the tokenizer's nesting limit libcst's own recursion is no safer: not worth asking it.
        return (exc.lineno or 1, exc.offset or 1, message, not message.startswith("too many nested"))
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes; nesting beyond the parser's stack
        return (1, 1, str(exc) or type(exc).__name__, False)
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


def _stitch(program: Program, cells: CellCache) -> None:
    """One module from each cell's own (cached) parse: the same statements the joined parse gives, in
    the same order, for one traversal over the whole notebook; a cell libcst rejects is left out, as
    _parse_joined does. Lines are not the joined text's: positions come from each cell's parse."""
    kept = []
    body: list[cst.BaseStatement] = []
    for code_cell in program.cells:
        parsed = cells.parsed(code_cell.text)
        if parsed.module is None:
            continue
        code_cell.parsed = parsed
        kept.append(code_cell)
        body.extend(parsed.module.body)
    program.cells = kept
    if kept:
        program.module = cst.Module(body=body)


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


# -- an editor session: cells cached by their source ------------------------------------------------


class ParsedCell:
    """One cell's own libcst parse (None when libcst rejects a cell `ast` accepted) and, on first use,
    its positions: cell-relative lines, so a cell that did not change keeps them across edits."""

    def __init__(self, text: str) -> None:
        try:
            self.module: cst.Module | None = parse_module(text)
        except cst.ParserSyntaxError:
            self.module = None
        self._positions: Any = None

    def positions(self) -> Any:
        if self._positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._positions


class CellCache:
    """Masking, checks and the libcst parse of each cell, by source, for a notebook analysed again and
    again (nblint server: on every edit). Keeps what the last build used, so it holds one notebook.

    Two cells with the same source get two parses: a node must belong to one place of the program
    (rules key their notes by node, and positions map a node back to its cell)."""

    def __init__(self) -> None:
        self._prepared: dict[str, PreparedCell] = {}
        self._parsed: dict[str, list[ParsedCell]] = {}
        self._used_prepared: dict[str, PreparedCell] = {}
        self._used_parsed: dict[str, list[ParsedCell]] = {}

    def prepared(self, source: str) -> PreparedCell:
        found = self._prepared.get(source) or self._used_prepared.get(source)
        if found is None:
            found = prepare_source(source)
        self._used_prepared[source] = found
        return found

    def parsed(self, text: str) -> ParsedCell:
        used = self._used_parsed.setdefault(text, [])
        spare = self._parsed.get(text, [])
        found = spare[len(used)] if len(used) < len(spare) else ParsedCell(text)
        used.append(found)
        return found

    def finish(self) -> None:
        """End of one build: forget the cells it did not use."""
        self._prepared, self._used_prepared = self._used_prepared, {}
        self._parsed, self._used_parsed = self._used_parsed, {}
