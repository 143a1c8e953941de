"""`%time stmt` and `%timeit [options] stmt` run their statement in the kernel: it is analysed like any
other line, everywhere the engine reads code (check, the server, the guard), at its own columns."""

from __future__ import annotations

import pytest
from conftest import check_notebook

from nblint.core.code.magics import mask_line
from nblint.guard.check import check_cell
from nblint.rules import ALL_RULES


@pytest.mark.parametrize(
    "line, stand_in",
    [
        ("%time y = f(x)", "pass; y = f(x)"),
        ("%timeit f(x)", "pass;   f(x)"),
        ("%timeit -n 10 -r3 -q f(x)", "pass;" + " " * 16 + "f(x)"),
        ("    %time y = f(x)", "    pass; y = f(x)"),
        ("r = %time f(x)", "r =       f(x)"),
        # a compound statement cannot follow `pass;`: the line is set aside whole, as before
        ("%time for i in range(3): f(i)", "pass"),
        ("%time", "pass"),
        ("%timeit?", "pass"),
    ],
)
def test_the_timed_statement_keeps_its_columns(line, stand_in):
    masked = mask_line(line)
    assert masked == stand_in
    if masked.strip() != "pass":
        assert masked.index("f(") == line.index("f(")
        compile(masked.strip(), "<cell>", "exec")


def test_a_timed_statement_continued_with_backslashes_stays_python(tmp_path):
    # as nbQA's test notebook writes it: the continuation lines belong to the statement
    cell = (
        "import pprint, sys\n%time printer = pprint.PrettyPrinter(\\\n      indent=4, width=80, stream=sys.stdout\\\n"
        "  )\nimport numpy as np\n%time z = np.zeros((100_000, 100_000))"
    )
    findings = check_notebook(tmp_path, [cell], "NB001,NB101")
    assert [(f["code"], f["line"]) for f in findings] == [("NB101", 6)]


def test_check_reports_what_a_timed_line_allocates(tmp_path):
    cells = [
        "import numpy as np\nN = 100_000",
        "%time y = np.zeros((N, N))",
        "%timeit -n 1 -r 1 w = np.ones((N, N))",
        "r = %time np.zeros((N, N))",
        "%time small = np.zeros(10)",
    ]
    findings = check_notebook(tmp_path, cells, "NB101")
    assert [(f["cell"], f["line"], f["column"]) for f in findings] == [
        (1, 1, 11),
        (2, 1, 23),
        (3, 1, 11),
    ]  # cells from 0


def test_the_guard_refuses_a_timed_allocation():
    rules = [ALL_RULES["NB101"]]
    verdict = check_cell(
        "import numpy as np\n%time y = np.zeros((100_000, 100_000))\n",
        {},
        rules,
        {"memory-budget": 1 << 30},
        available=lambda: 8 << 30,
    )
    assert len(verdict.refused) == 1 and "np.zeros((100_000, 100_000))" in verdict.refused[0]
