"""Cells too big for libcst (issue 11): a pasted list of a million numbers, a 10,000-term sum, a
10,000-link call chain. Each is found from the text before any parse (nblint.core.code.screen),
reported (NB102 with its count, NB005 for what was left out) in bounded time and memory, and the rest
of the notebook is analysed as usual. The full sizes run in the slow tests, each in a fresh process
whose CPU time and peak memory are measured."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO, check_notebook, json_findings, write_notebook

from nblint.core.code.screen import MAX_CHAIN, MAX_PROGRAM_TOKENS, ProgramBudget, screen
from nblint.testing import EXTREME_CELLS, EXTREME_FULL_SIZE

ALLOCATION = "import numpy as np\nx = np.zeros((N, N))\n"


def test_a_huge_statement_is_left_out_and_the_rest_of_the_notebook_analysed(tmp_path):
    cells = [
        # the huge literal sits in the cell that defines N, which the next cell needs
        "N = 100_000\n" + EXTREME_CELLS["list of numbers"](50_000) + "y = np.zeros((N, N))\n",
        ALLOCATION,
        EXTREME_CELLS["sum chain"](MAX_CHAIN + 500),
        "for i in range(3):\n    " + EXTREME_CELLS["call chain"](MAX_CHAIN + 10) + "    z = np.ones((N, N))\n",
    ]
    findings = check_notebook(tmp_path, cells, "NB005,NB102,NB101,NB001,NB000")
    found = sorted((f["code"], f["cell"], f["line"]) for f in findings)
    assert found == [
        ("NB005", 0, 2),
        ("NB005", 2, 1),
        ("NB005", 3, 2),
        ("NB101", 0, 3),
        ("NB101", 1, 2),
        ("NB101", 3, 3),  # N from cell 0 still counts in cells 1 and 3
        ("NB102", 0, 2),
    ], findings
    [literal] = [f for f in findings if f["code"] == "NB102"]
    assert "list literal of 50,000 elements" in literal["message"] and literal["column"] == 6
    chain = next(f for f in findings if f["code"] == "NB005" and f["cell"] == 2)
    assert f"a chain of {MAX_CHAIN + 500:,} operands" in chain["message"]
    assert "the rest of the cell is analysed as usual" in chain["message"]


def test_a_huge_header_keeps_its_block_and_an_unmaskable_one_leaves_its_cell_out(tmp_path):
    numbers = ", ".join(["1"] * 30_000)
    cells = [
        "N = 100_000\nimport numpy as np\n",
        f"for v in [{numbers}]:\n    z = np.ones((N, N))\n",  # the header becomes `if True:`; its block is analysed
        f"for v in [{numbers}]: print(v)\nw = np.ones((N, N))\n",  # one statement: `pass`
        # `if True:` cannot stand where `except` did: the whole cell is left out, not called invalid (NB001)
        f"try:\n    pass\nexcept ({numbers}):\n    pass\nu = np.ones((N, N))\n",
        f"%matplotlib inline\nxs = [{numbers}]\nq = np.ones((N, N))\n",  # magics are masked as usual
    ]
    findings = check_notebook(tmp_path, cells, "NB005,NB102,NB101,NB001,NB000")
    assert sorted((f["code"], f["cell"], f["line"]) for f in findings) == [
        ("NB005", 1, 1),
        ("NB005", 2, 1),
        ("NB005", 3, 3),
        ("NB005", 4, 2),
        ("NB101", 1, 2),
        ("NB101", 2, 2),
        ("NB101", 4, 3),
        ("NB102", 1, 1),
        ("NB102", 2, 1),
        ("NB102", 3, 3),
        ("NB102", 4, 2),
    ], findings
    left_out = [f for f in findings if f["code"] == "NB005" and f["cell"] == 3]
    assert "the rest of the cell is not analysed either" in left_out[0]["message"]


def test_the_program_budget_counts_big_statements_once_lengths_could_pass_it():
    budget = ProgramBudget(limit=12, big=5)
    assert budget.admit("x = [1, 2]\n", [])  # 11 characters: at most 11 tokens, nothing measured
    assert budget.tokens is None
    admitted = ["x = [1, 2]\n"]
    assert budget.admit("'a long string is one token'\nz = 2\n", admitted)  # measured now: small statements
    assert budget.tokens == 7  # x = [1, 2] is a big statement of 7 tokens (over `big`)
    admitted.append("'a long string is one token'\nz = 2\n")
    assert not budget.admit("y = [1, 2, 3]\n", admitted)  # 9 more: over 12, left out
    assert budget.admit("w = 2\nv = 3\n" * 100, admitted)  # many small statements: code, not data


@pytest.mark.slow
def test_cells_past_the_programs_budget_are_left_out_whole(tmp_path):
    # four cells of 36,000 tokens each: every statement is under the screen's limit, but libcst would
    # hold 144,000 tokens at once; the cells past the budget are left out, the small ones still count
    data = [f"d{i} = [" + ", ".join(["7"] * 18_000) + "]\n" for i in range(4)]
    cells = ["N = 100_000\nimport numpy as np\n", *data, "x = np.zeros((N, N))\n"]
    findings = check_notebook(tmp_path, cells, "NB005,NB102,NB101,NB001,NB000")
    assert sorted((f["code"], f["cell"]) for f in findings) == [
        ("NB005", 3),
        ("NB005", 4),
        ("NB101", 5),
        ("NB102", 1),
        ("NB102", 2),
        ("NB102", 3),
        ("NB102", 4),
    ], findings
    left_out = next(f for f in findings if f["code"] == "NB005")
    assert f"would pass {MAX_PROGRAM_TOKENS:,} tokens" in left_out["message"]
    assert (
        "list literal of 18,000 elements"
        in next(f for f in findings if f["cell"] == 4 and f["code"] == "NB102")["message"]
    )


@pytest.mark.parametrize(
    "source, counted",
    [
        ("xs = [" + ", ".join(["1"] * 30_000) + "]\n", ("list", 30_000)),
        ("t = (" + ", ".join(["'a'"] * 30_000) + ",)\n", ("tuple", 30_000)),
        ("s = {" + ", ".join(["-1.5e-3"] * 30_000) + "}\n", ("set", 30_000)),
        (
            "d = {'a': [" + ", ".join(["1"] * 15_000) + "], 'b': [" + ", ".join(["2"] * 15_000) + "]}\n",
            ("dict", 30_000),
        ),
        ("m = [\n" + "".join("    [" + ", ".join(["0"] * 300) + "],\n" for _ in range(100)) + "]\n", ("list", 30_000)),
        # a comma or colon inside a string is no separator (a run of atoms once counted them)
        ("xs = [" + ", ".join(["1, 'a, b'"] * 15_000) + "]\n", ("list", 30_000)),
        ("s = {" + ", ".join(["1, 'a: b', \"c, ,\""] * 10_000) + "}\n", ("set", 30_000)),
    ],
)
def test_the_screen_counts_elements_as_nb102_does(source, counted):
    [statement] = screen(source)
    assert [(literal.kind, literal.elements) for literal in statement.literals] == [counted]


@pytest.mark.parametrize(
    "source",
    [
        "xs = [" + ", ".join(["1"] * 30_000) + "] * 3\n",  # the literal is reported on its own, not the product
        "ys = [f(x) for x in [" + ", ".join(["1"] * 30_000) + "]]\n",  # a comprehension holds a literal
    ],
)
def test_the_screen_does_not_count_what_is_not_a_literal(source):
    [statement] = screen(source)
    assert [(literal.kind, literal.elements) for literal in statement.literals] == [("list", 30_000)]


def test_ordinary_cells_are_not_screened():
    from nblint.core.code.screen import needs_screen

    assert not needs_screen("import numpy as np\n" + "x = np.zeros((3, 3)).sum()\n" * 30)
    assert screen("total = " + " + ".join(["a"] * MAX_CHAIN) + "\n") == []  # at the limit: parsed as usual


MEASURE = """
import resource, subprocess, sys
run = subprocess.run([sys.executable, "-m", "nblint", "check", "--no-cache", "--jobs", "1", "--format", "json",
                      sys.argv[1]], capture_output=True, text=True, timeout=120)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)
sys.stdout.write(run.stdout)
sys.stderr.write(run.stderr)
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXTREME_CELLS))
def test_full_size_cell_under_5_s_of_cpu_and_500_mb(tmp_path, name):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        ["import numpy as np\nx = np.zeros((100_000, 100_000))\n", EXTREME_CELLS[name](EXTREME_FULL_SIZE[name])],
    )
    # A fresh process between: RUSAGE_CHILDREN's peak is that of nblint alone, not of earlier tests.
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, cwd=REPO, timeout=180
    )
    first, _, report = result.stdout.partition("\n")
    cpu, peak = first.split()
    findings = json_findings(subprocess.CompletedProcess([], 1, report, result.stderr))
    codes = {f["code"] for f in findings}
    assert "NB101" in codes and "NB000" not in codes  # the other cell is analysed
    assert codes & {"NB102", "NB005", "NB001"}, findings
    assert float(cpu) < 5, f"{name}: {float(cpu):.1f} s of CPU"
    assert int(peak) < 500 * 1024 * 1024, f"{name}: peak {int(peak) / 2**20:.0f} MiB"
