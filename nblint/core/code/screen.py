"""Statements too big for libcst, found from the text of a cell before anything parses it.

libcst builds several Python objects per token and its parse grows faster than linearly on long
chains (measured here: a 2,000-link call chain `f()()...` takes 5 s, a list of 20,000 numbers 1 s and
100 MB); even `ast` holds ~1 GB for a list of a million numbers. So every cell that could hold such a
statement is first read by one regular-expression scan, which costs a few machine operations per
character and memory for the bracket depth only, and measures each statement (logical line): its
tokens, its longest operator chain (`a + b + ...`, `x and y and ...`) and trailer chain (`a.b.c...`,
`f()()...`). A statement over a limit is masked (nblint.core.code.program replaces it, line for line,
with `pass`) and the rest of the cell is analysed as usual; the scan also counts the elements of the
literals in the masked statements, so NB102 still reports them (nblint.rules.memory.huge_literal), and NB005
says what was left out and why. The program as a whole has a budget too (ProgramBudget): a cell that
would take it past MAX_PROGRAM_TOKENS is left out whole, its literals counted the same way.

Nesting needs no limit here: CPython itself refuses more than 200 open brackets or 100 indents (the
cell is then NB001, found quickly by `ast`).
"""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass, field

MAX_TOKENS = 40_000  # per statement: libcst ~2 s and ~200 MB at this size
MAX_CHAIN = 1_000  # operators or trailers in a row: libcst ~0.3-1.2 s at this length, quadratic above
LITERAL_FLOOR = 100  # the literals of a masked statement worth handing to NB102 (whose limit is larger)
# For the whole program (the joined cells libcst parses at once), in the tokens of its big statements
# (BIG_STATEMENT tokens or more on one logical line: data, not code): measured at 144,000 such tokens,
# 6 s of CPU and 330 MB for the whole check; at this limit about 4 s and 250 MB. Ordinary code, however
# long (a 20,000-line cell, 5,000 cells), is small statements and does not count; the largest notebook
# of the shared corpus has 5,300 tokens in all.
MAX_PROGRAM_TOKENS = 100_000
BIG_STATEMENT = 1_000

_STRING = (
    r"(?:[rRbBuUfF]{1,2})?(?:'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''|\"\"\"[^\"\\]*(?:(?:\\.|\"(?!\"\"))[^\"\\]*)*\"\"\""
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\")"
)
_NUMBER = r"(?:0[xXoObB][\w]+|\d[\d_]*(?:\.[\d_]*)?(?:[eE][-+]?[\d_]+)?[jJ]?|\.\d[\d_]*(?:[eE][-+]?[\d_]+)?[jJ]?)"
# A run of plain items and commas inside brackets (`1, 2.5, -3, 'a', None, `): pasted data, one match for
# thousands of elements, so the scan's Python loop runs per run rather than per element.
_ATOM = rf"[-+]?(?:{_NUMBER}|{_STRING}|True|False|None)"
# (a dict's `key: value,` pairs too; bounded, as the regex engine slows down on one repeat of millions)
_RUN = rf"(?:{_ATOM}(?:\s*:\s*{_ATOM})?\s*,\s*){{1,1000}}"
_OPERATORS = r"\*\*|//|<<|>>|->|:=|==|!=|<=|>=|[-+*/%@&|^~<>=!.:;]"
# Rows of atoms inside a literal (`[[0, 1], [2, 3], ...]`, `[(1.5, 'a'), ...]`): pasted tables, where the
# loop above would push and pop a frame per row. A row here is a list of atoms, or a tuple of two or more
# (`(x)` only groups), with no trailing comma, and a comma after it: then each row is one element of its
# parent whose own elements are the row's commas plus one, which is what lets _flat_rows count a whole
# run of them with string counts. Both repeats are bounded: the regex engine keeps backtracking state for
# every repeat it is inside, about 800 bytes an atom (a match of 100,000 atoms held 83 MiB), so a run is
# at most 100 rows of at most 32 atoms. A wider row is left to the loop, whose _RUN tokens already take
# its atoms in bulk: there a frame per row is little against its elements.
_ROW = rf"\[\s*{_ATOM}(?:\s*,\s*{_ATOM}){{0,31}}\s*\]|\(\s*{_ATOM}(?:\s*,\s*{_ATOM}){{1,31}}\s*\)"
FLAT_ROWS = True  # off only in the test that checks _flat_rows against the loop, row for row


def _tokens(blanks: str, run: str, newline: str) -> re.Pattern:
    """Group numbers are what `lastindex` dispatches on; a group that cannot match here is `(?!)`. The
    last alternative takes any other character (a vertical tab, a stray `$`), so the scan never stops early."""
    return re.compile(
        blanks
        + "(?:("
        + _STRING
        + r")|(#[^\n]*)|("
        + run
        + r")|([^\W\d]\w*)|("
        + _NUMBER
        + r")|(\\\r?\n)|("
        + newline
        + r")|([\[({])|([\])}])|(,)|("
        + _OPERATORS
        + r")|(.))"
    )


@functools.cache
def _token_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(at depth 0, inside brackets): inside brackets newlines are blanks and runs apply; at depth 0 a
    newline ends the statement. Compiled on first use (6 ms), as most runs scan no cell."""
    return _tokens(r"[ \t\f]*", "(?!)", r"\r?\n"), _tokens(r"\s*", _RUN, "(?!)")


@functools.cache
def _row_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a run of rows, a row's signed last atom): compiled on first use, like the tokens'."""
    return (
        re.compile(rf"(?:\s*(?:{_ROW})\s*,){{1,100}}"),
        # once strings are removed: the last atom of a row is signed (`-1]`, `+.5)`, `-'a'` is `-)`),
        # which the loop reads as an operator and a value, not one atom
        re.compile(r"[,\[(]\s*[-+][^,\])]*[\])]"),
    )


STRING, COMMENT, RUN, NAME, NUMBER, CONTINUATION, NEWLINE, OPEN, CLOSE, COMMA, OPERATOR, OTHER = range(1, 13)

_CHAIN_OPERATORS = {"+", "-", "*", "/", "//", "%", "@", "**", "<<", ">>", "&", "|", "^", "and", "or"}
_CHAIN_BREAKS = {
    ",",
    ";",
    ":",
    "=",
    ":=",
    "if",
    "else",
    "for",
    "in",
    "lambda",
    "return",
    "yield",
    "not",
    "is",
    "<",
    ">",
    "==",
    "!=",
    "<=",
    ">=",
    "await",
    "assert",
    "del",
    "from",
    "import",
    "as",
    "with",
}
_KEYWORDS = frozenset(keyword.kwlist) - {"True", "False", "None"}
_KIND = {"[": "list", "(": "tuple", "{": "set"}


@dataclass
class Literal:
    """A literal found by the screen, with its elements counted."""

    kind: str  # list, tuple, set, dict
    elements: int  # counted through nested literals, as NB102 counts them
    line: int  # 1-based, in the cell's text
    column: int  # 1-based


@dataclass
class Oversized:
    """A statement too big to parse, with why and the literals in it."""

    line: int  # first and last line (1-based) of the statement in the cell's text
    end_line: int
    reason: str
    literals: list[Literal] = field(default_factory=list)  # its literals of LITERAL_FLOOR elements or more
    header: bool = False  # it ends with ':' (`for x in [...]:`): a compound statement's block follows


def mask_statements(lines: list[str], oversized: list[Oversized]) -> list[str]:
    """The cell's lines with each oversized statement replaced, line for line, by `pass` at its indent
    (`if True:` for a compound statement's header, so its block still parses and is analysed)."""
    masked = list(lines)
    for statement in oversized:
        first = masked[statement.line - 1]
        indent = first[: len(first) - len(first.lstrip())]
        masked[statement.line - 1] = indent + ("if True:" if statement.header else "pass")
        for index in range(statement.line, min(statement.end_line, len(masked))):
            masked[index] = ""
    return masked


class ProgramBudget:
    """Tokens of big statements left for the joined program. A cell's length bounds its tokens, so its
    statements are only measured (by the scan) once the lengths seen so far could pass the budget."""

    def __init__(self, limit: int = MAX_PROGRAM_TOKENS, big: int = BIG_STATEMENT) -> None:
        self.limit = limit
        self.big = big
        self.length = 0  # characters of the cells admitted: an upper bound of their tokens
        self.tokens: int | None = None  # the tokens of their big statements, once measured

    def admit(self, text: str, admitted) -> bool:
        """Whether a cell's text fits with the `admitted` texts before it; if so it is counted in."""
        self.length += len(text)
        if self.length <= self.limit:
            return True
        if self.tokens is None:
            self.tokens = sum(self._big_tokens(earlier) for earlier in admitted)
        tokens = self._big_tokens(text)
        if self.tokens + tokens > self.limit:
            self.length -= len(text)
            return False
        self.tokens += tokens
        return True

    def _big_tokens(self, text: str) -> int:
        sizes: list[int] = []
        screen(text, sizes=sizes)
        return sum(size for size in sizes if size >= self.big)


def needs_screen(text: str) -> bool:
    """False when the text is too short to hold a statement over any limit (most cells): checked with
    string counts in C, so the scan itself runs only on the few cells that could need it."""
    if len(text) > MAX_TOKENS:
        return True
    operators = sum(text.count(c) for c in "+-*/%@&|^") + text.count(" and ") + text.count(" or ")
    trailers = text.count(".") + text.count("(") + text.count("[")
    return operators > MAX_CHAIN or trailers > MAX_CHAIN


class _Frame:
    """An open bracket (or the statement itself, at the bottom of the stack)."""

    __slots__ = (
        "opener",
        "start",
        "literal",
        "opened_at_element",
        "commas",
        "items",
        "trailing_comma",
        "colon",
        "unsure",
        "absorbed",
        "inner",
        "pending",
        "element_start",
        "chain",
        "trail",
        "after_dot",
        "value_end",
        "last_string",
        "rows_missed",
        "rows_skipped",
    )

    def __init__(self, opener: str, start: int, literal: bool, opened_at_element: bool) -> None:
        self.opener = opener
        self.start = start
        self.literal = literal  # not a call's or a subscript's brackets
        self.opened_at_element = opened_at_element  # it is a whole element of the enclosing bracket
        self.commas = 0
        self.items = False  # anything inside
        self.trailing_comma = False
        self.colon = False  # a ':' directly inside a '{': a dict
        self.unsure = False  # a comprehension, lambda or walrus inside: not a plain literal
        self.absorbed = 0  # elements of nested literals counted through, minus the one each stands for
        self.inner: tuple | None = None  # the last nested literal counted through (what `(...)` groups)
        self.pending: tuple | None = None  # a nested literal just closed: counted through if its element ends
        self.element_start = True  # the next token starts an element
        self.chain = 0  # binary operators in a row
        self.trail = 0  # attribute lookups, calls and subscripts in a row
        self.after_dot = False
        self.value_end = False  # the last token ends a value: an opener after it is a call or subscript
        self.last_string = False  # implicit concatenation "a" "b" "c" nests in libcst as a chain does
        self.rows_missed = 0  # rows in a row not taken by _flat_rows, as last set: how many to skip next
        self.rows_skipped = 0  # nested brackets still to leave to the loop before _flat_rows tries again


class _Statement:
    __slots__ = ("start", "line", "tokens", "chain", "trail", "literals", "last")

    def __init__(self, start: int, line: int) -> None:
        self.start = start
        self.line = line  # 1-based, kept as the scan goes: counting from the top each time would be quadratic
        self.last = ""  # its last token at depth 0
        self.tokens = 0
        self.chain = 0
        self.trail = 0
        self.literals: list[tuple[str, int, int]] = []  # (kind, elements, offset of the opener)


def screen(text: str, every: bool = False, sizes: list[int] | None = None) -> list[Oversized]:
    """The statements of a cell's text over MAX_TOKENS or MAX_CHAIN, with the reason for each; with
    `every`, all its statements with literals (a cell left out whole), for the elements of those; with
    `sizes`, the tokens of every statement are appended to it."""
    if not every and sizes is None and not needs_screen(text):
        return []
    found: list[Oversized] = []
    stack: list[_Frame] = [_Frame("", 0, False, False)]
    statement = _Statement(0, 1)
    position, end = 0, len(text)
    token_top, token_inside = _token_patterns()
    while position < end:
        top = stack[-1]
        match = (token_top if len(stack) == 1 else token_inside).match(text, position)
        if match is None:  # blanks up to the end of the text
            break
        position = match.end()
        kind = match.lastindex
        if kind == COMMENT or kind == CONTINUATION:
            continue
        if kind == NEWLINE:
            _finish(statement, match.start(kind), text, found, every, sizes)
            statement = _Statement(position, statement.line + text.count("\n", statement.start, position))
            continue
        token = match.group(kind)
        statement.tokens += 1
        if top.pending is not None and kind != COMMA and kind != CLOSE:
            _emit(top.pending, statement)  # `[1, 2] * 3`: the nested literal is not a whole element
            top.pending = None
        string = kind == STRING
        if string and top.last_string:
            top.chain += 1
            statement.chain = max(statement.chain, top.chain)
        top.last_string = string
        if kind == RUN:
            separators = _without_strings(token)  # `1, 'a, b', ` is two elements, `1, 'a: b', ` no dict
            commas = separators.count(",")
            statement.tokens += 2 * commas - 1
            _element_ended(top)
            top.commas += commas
            top.items = True
            if top.opener == "{" and ":" in separators:
                top.colon = True
        elif kind == COMMA:
            if top.pending is not None:
                _absorb(top, top.pending)
                top.pending = None
            _element_ended(top)
            top.commas += 1
        elif kind == OPEN:
            trailer = top.value_end
            if FLAT_ROWS and top.element_start and not trailer and top.literal and not top.unsure and token != "{":
                if top.rows_skipped:
                    top.rows_skipped -= 1
                else:
                    rows = _row_patterns()[0].match(text, match.start(kind))
                    if rows is not None:
                        _flat_rows(rows, top, statement)
                        top.rows_missed = 0
                        position = rows.end()
                        continue
                    # Not a row of atoms (too wide, a name in it): trying each of its like costs as much again
                    # as the loop, so the next 1, 3, 7 ... up to 63 rows are left to it before the next try.
                    top.rows_missed = top.rows_skipped = min(2 * top.rows_missed + 1, 63)
            stack.append(_Frame(token, match.start(kind), not trailer, top.element_start))
            _value_part(top)
            if trailer:
                top.trail += 1
                statement.trail = max(statement.trail, top.trail)
            else:
                top.trail = 0
        elif kind == CLOSE:
            if len(stack) == 1:
                continue  # unbalanced: `ast` says so
            frame = stack.pop()
            if frame.pending is not None:
                _absorb(frame, frame.pending)
            described = _describe(frame) if frame.literal else None
            if described is not None:
                if _parent_is_literal(stack) and frame.opened_at_element:
                    stack[-1].pending = described
                else:
                    _emit(described, statement)
            stack[-1].value_end = True
            stack[-1].after_dot = False
        elif kind == OPERATOR and token == ".":
            _value_part(top)
            top.trail += 1
            statement.trail = max(statement.trail, top.trail)
            top.after_dot = True
            top.value_end = False
        elif kind == OPERATOR or (kind == NAME and token in _KEYWORDS):
            _value_part(top)
            top.value_end = False
            top.trail = 0
            if token in _CHAIN_OPERATORS:
                top.chain += 1
                statement.chain = max(statement.chain, top.chain)
            elif token in _CHAIN_BREAKS or kind == OPERATOR:
                top.chain = 0
            if token == ":" and top.opener == "{":
                top.colon = True
                top.element_start = True  # a dict's value is an element to count through
            elif token in ("for", "lambda", "async", "yield", ":="):
                top.unsure = True
        else:  # a name, number, string or stray character: a value
            _value_part(top)
            if not top.after_dot:
                top.trail = 0
            top.value_end = True
        top.after_dot = top.after_dot and kind == OPERATOR and token == "."
        if len(stack) == 1:
            statement.last = token
    _finish(statement, len(text), text, found, every, sizes)
    return found


def _without_strings(text: str) -> str:
    """Text of atoms and commas (a run) with its strings taken out: the commas and colons left separate."""
    if "'" not in text and '"' not in text:
        return text
    return _string_pattern().sub("", text)


@functools.cache
def _string_pattern() -> re.Pattern:
    return re.compile(_STRING)


def _parent_is_literal(stack: list[_Frame]) -> bool:
    parent = stack[-1]
    return parent.literal and not parent.unsure


def _value_part(frame: _Frame) -> None:
    frame.items = True
    frame.trailing_comma = False
    frame.element_start = False


def _element_ended(frame: _Frame) -> None:
    frame.trailing_comma = True
    frame.element_start = True
    frame.value_end = False
    frame.chain = 0
    frame.trail = 0


def _describe(frame: _Frame) -> tuple[str, int, int] | None:
    """(kind, elements counted through nesting, offset of the opener) of a plain literal, or None."""
    if frame.unsure:
        return None
    if frame.opener == "(" and frame.commas == 0:
        return frame.inner if frame.absorbed and frame.inner else None  # `([1, 2])` is the list; `(x)` groups
    elements = frame.commas + (0 if frame.trailing_comma or not frame.items else 1)
    kind = "dict" if frame.opener == "{" and frame.colon else _KIND[frame.opener]
    return kind, elements + frame.absorbed, frame.start


def _absorb(frame: _Frame, nested: tuple[str, int, int]) -> None:
    frame.absorbed += nested[1] - 1
    frame.inner = nested


def _flat_rows(rows: re.Match, top: _Frame, statement: _Statement) -> None:
    """Count a run of rows (and the comma after each) into their parent `top` and the statement, exactly
    as the loop would token by token. With strings removed, the run's commas are its elements (each
    row's commas, plus the one after it) and its opening brackets are its rows."""
    signed_last = _row_patterns()[1]
    run = _without_strings(rows.group())
    elements = run.count(",")
    count = run.count("[") + run.count("(")
    # the loop's tokens: per row its brackets, 2 for each `atom,`, 1 for the last atom (2 when signed)
    # and 1 for the comma after it
    signed = len(signed_last.findall(run)) if "-" in run or "+" in run else 0
    statement.tokens += 2 * elements + 2 * count + signed - 1  # the first row's bracket is counted already
    if signed:
        statement.chain = max(statement.chain, 1)  # the sign is a binary-operator token in the loop
    # each row is counted through, as _absorb does: its elements less the one its comma already counts
    # (`inner`, the last row absorbed, is left as it was: _describe reads it only for a `(` with no commas)
    top.absorbed += elements - count
    top.commas += count
    top.items = True
    top.pending = None
    top.last_string = False
    top.after_dot = False
    _element_ended(top)


MAX_LITERALS = 100  # per masked statement: the positions of more would cost more than they tell


def _emit(literal: tuple[str, int, int], statement: _Statement) -> None:
    if literal[1] >= LITERAL_FLOOR and len(statement.literals) < MAX_LITERALS:
        statement.literals.append(literal)


def _finish(
    statement: _Statement,
    end: int,
    text: str,
    found: list[Oversized],
    every: bool = False,
    sizes: list[int] | None = None,
) -> None:
    if sizes is not None:
        sizes.append(statement.tokens)
    if every and statement.literals:
        reason = "in a cell left out"
    elif statement.tokens > MAX_TOKENS:
        reason = f"about {statement.tokens:,} tokens, over {MAX_TOKENS:,}"
    elif statement.chain > MAX_CHAIN:
        reason = f"a chain of {statement.chain + 1:,} operands, over {MAX_CHAIN:,}"
    elif statement.trail > MAX_CHAIN:
        reason = f"a chain of {statement.trail:,} attribute lookups, calls or subscripts, over {MAX_CHAIN:,}"
    else:
        return
    line = statement.line
    end_line = line + text.count("\n", statement.start, end)
    if end == len(text) and text.endswith("\n"):
        end_line -= 1
    literals = []
    for kind, elements, offset in statement.literals:  # at most MAX_LITERALS
        literal_line = line + text.count("\n", statement.start, offset)
        literals.append(Literal(kind, elements, literal_line, offset - text.rfind("\n", 0, offset)))
    found.append(Oversized(line, end_line, reason, literals, header=statement.last == ":"))
