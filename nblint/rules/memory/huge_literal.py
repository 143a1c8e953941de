"""NB102 huge-literal: a list/tuple/set/dict literal with more elements than `max-literal-elements`."""

from __future__ import annotations

from typing import AbstractSet, Any, Mapping

import libcst as cst

from nblint.core.findings import Severity
from nblint.core.options import Option, parse_int
from nblint.core.sizes import format_count
from nblint.core.wording import shorten
from nblint.rules.base import CodeRule, Invalid, built_on_first_read

MAX_LITERAL_ELEMENTS = Option(
    "max-literal-elements",
    10_000,
    parse_int,
    "Elements (counted through nesting) above which a list, tuple, set or dict literal is reported.",
)

_LITERALS = (cst.List, cst.Tuple, cst.Set, cst.Dict)
_KIND = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set", cst.Dict: "dict"}


def count_elements(literal: cst.List | cst.Tuple | cst.Set | cst.Dict, nested: set[int]) -> int:
    """Leaf elements of a literal, counted through nested literals without recursion (a literal can be
    thousands of levels deep). A dict entry counts its value; a nested literal counts what it holds.
    The ids of the nested literals are added to `nested`, so they are not counted again on their own."""
    count = 0
    stack = [literal]
    while stack:
        current = stack.pop()
        for element in current.elements:
            value = getattr(element, "value", None)  # StarredDictElement / StarredElement: one element
            if isinstance(value, _LITERALS) and not isinstance(element, (cst.StarredElement, cst.StarredDictElement)):
                nested.add(id(value))
                stack.append(value)
            else:
                count += 1
    return count


_FIX = "data = json.load(open('data.json'))  # with the literal saved to data.json"


def _message(kind: str, count: int, limit: int) -> str:
    return (
        f"{kind} literal of {format_count(count)} elements (counted through nesting) is over "
        f"max-literal-elements {limit}; keep the data in a file and load it (np.load, json.load, pd.read_csv)"
    )


class HugeLiteral(CodeRule):
    """
    ## What it does
    Flags a list, tuple, set or dict literal whose elements, counted through nesting (`[[1, 2], [3, 4]]`
    holds 4), exceed `max-literal-elements` (default 10,000): data pasted into a cell.

    ## Why it hurts
    Every run compiles the whole literal: CPython builds a syntax tree node for each element, so a literal
    of a million numbers takes seconds and hundreds of MiB before the first line runs, and a deeply nested
    or very long one can exhaust the compiler's stack and kill the kernel. The notebook file grows with it,
    editors and diffs slow down, and tools that read the code (linters, formatters) choke on it.

    ## Example
        weights = [0.0123, 0.9871, 0.5512, ...]  # 50,000 numbers pasted from a file

    ## Use instead
    Keep the data in a file next to the notebook and load it:

        weights = np.load("weights.npy")          # or json.load, pd.read_csv

    A statement too big for nblint's parser (see NB005) is counted from a cheap reading of its text, so a
    literal of a million numbers is still reported, in about a second.

    ## Options
    - `max-literal-elements` (default `10000`): how many elements a literal may hold before it is reported.
    """

    code = "NB102"
    name = "huge-literal"
    severity = Severity.WARNING
    options = (MAX_LITERAL_ELEMENTS,)

    @classmethod
    def may_fire(
        cls, text: str, options: Mapping[str, Any] | None = None, words: AbstractSet[str] | None = None
    ) -> bool:
        """The pre-filter (CodeRule.needs): elements are separated by commas, so a literal of more than
        `max-literal-elements` (counted through nesting, as the screen counts them too) needs at least that
        many commas in the text."""
        limit = (options or {}).get(MAX_LITERAL_ELEMENTS.key)
        if not isinstance(limit, int):
            limit = MAX_LITERAL_ELEMENTS.parsed_default()
        return text.count(",") >= limit

    VALID = built_on_first_read(
        lambda: [
            "xs = [1, 2, 3]\nd = {'a': 1, 'b': [1, 2]}\ns = {1, 2}\nt = (1,)\n",
            "xs = [" + ", ".join(["0"] * 10_000) + "]\n",  # exactly at the limit
            "grid = [[" + ", ".join(["0"] * 99) + "]] * 200\n",  # a repetition, not a literal of 19,800
            # data loaded from files
            "import json\nwith open('data.json') as f:\n    data = json.load(f)\n",
            "import numpy as np\nxs = np.loadtxt('data.txt')\n",
            # a literal inside a string or comment is text
            "s = '[" + ", ".join(["0"] * 12_000) + "]'\n",
            # a long concatenation of small literals, as in a Kaggle notebook: 2,000 terms of 1 or 8 items
            "palette = " + "+".join(["[255]*8", "[245]"] * 1000) + "\n",
            # many small literals in one cell
            "\n".join(f"row{i} = [{i}, {i + 1}, {i + 2}]" for i in range(5_000)) + "\n",
        ]
    )
    INVALID = built_on_first_read(
        lambda: [
            Invalid(
                "xs = [" + ", ".join(["0"] * 10_001) + "]\n",
                line=1,
                column=6,
                message="list literal of 10,001 elements",
            ),
            # counted through nesting: 101 rows of 100
            Invalid(
                "m = [\n" + "".join("    [" + ", ".join(["1"] * 100) + "],\n" for _ in range(101)) + "]\n",
                line=1,
                column=5,
                message="10,100 elements",
            ),
            Invalid(
                "lookup = {" + ", ".join(f"{i}: {i}" for i in range(10_001)) + "}\n",
                line=1,
                message="dict literal of 10,001 elements",
            ),
            Invalid("t = (" + ", ".join(["1.5"] * 20_000) + ")\n", message="tuple literal of 20,000 elements"),
            # a literal under a call still counts on its own
            Invalid("import numpy as np\nx = np.array([" + ", ".join(["1"] * 10_001) + "])\n", line=2, column=14),
            # the limit is an option
            Invalid(
                "xs = [" + ", ".join(["1"] * 600) + "]\n",
                options={"max-literal-elements": 500},
                message="over max-literal-elements 500",
            ),
            # cross-cell: the second cell holds the data
            Invalid(
                [
                    "import numpy as np\n",
                    "data = {'x': [" + ", ".join(["0"] * 6_000) + "], 'y': [" + ", ".join(["1"] * 6_000) + "]}\n",
                ],
                cell=1,
                message="12,000 elements",
            ),
        ]
    )

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self._nested: set[int] = set()

    def _check(self, node: cst.List | cst.Tuple | cst.Set | cst.Dict) -> None:
        key = id(node)
        if key in self._nested:  # already counted as part of an enclosing literal
            self._nested.discard(key)
            return
        limit = self.option(MAX_LITERAL_ELEMENTS)
        count = count_elements(node, self._nested)
        if count > limit:
            self.report(node, _message(_KIND[type(node)], count, limit), fix=_FIX)

    def check_set_aside(self, set_aside) -> None:
        """A statement too big for the parser is read by the screen, which counts its literals' elements
        the same way (through nesting): a million-element literal is reported without a parse."""
        limit = self.option(MAX_LITERAL_ELEMENTS)
        for statement in set_aside.statements:
            for literal in statement.literals:
                if literal.elements > limit:
                    self.report_at(
                        _message(literal.kind, literal.elements, limit),
                        fix=_FIX,
                        cell=set_aside.cell.index,
                        line=literal.line,
                        column=literal.column + set_aside.dedent,
                        source_line=shorten(set_aside.cell.lines[literal.line - 1]),
                    )

    def visit_List(self, node: cst.List) -> None:
        self._check(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._check(node)

    def visit_Set(self, node: cst.Set) -> None:
        self._check(node)

    def visit_Dict(self, node: cst.Dict) -> None:
        self._check(node)
