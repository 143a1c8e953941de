"""NB201 unbounded-loop, NB202 stale-loop-condition, NB203 unconditional-recursion and NB401 output-flood
through the real CLI: the max-printed-lines option from a pyproject.toml in tmp_path, positions and
messages of cross-cell findings, suppressions, and code that must not crash or slow them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import check_notebook, run_nblint, write_notebook

LOOP_CODES = "NB201,NB202,NB203,NB401"


def check(tmp_path, cells, config: str | None = None, select: str = LOOP_CODES, *extra: str):
    return check_notebook(tmp_path, cells, select, *extra, config=config)


def where(finding):
    return finding["code"], finding["cell"], finding["line"], finding["column"]


# -- NB401 and its option max-printed-lines --------------------------------------------------------------

FLOOD = ["STEPS = 20_000\n", "for step in range(STEPS):\n    loss = step * 2\n    print(step, loss)\n"]


def test_flood_over_default_limit_is_reported_at_the_loop_with_the_estimate(tmp_path):
    [finding] = check(tmp_path, FLOOD)
    assert where(finding) == ("NB401", 1, 1, 1)
    assert finding["severity"] == "warning"
    assert finding["message"].startswith(
        "print() in this loop writes ~20,000 lines of output (20,000 iterations), over max-printed-lines (10,000)"
    )
    assert "if step % 1000 == 0" in finding["message"]
    assert finding["fix"] == "if step % 1000 == 0:\n    print(...)"


def test_max_printed_lines_raised_in_pyproject_silences_the_loop(tmp_path):
    assert check(tmp_path, FLOOD, "max-printed-lines = 50000\n") == []


def test_max_printed_lines_lowered_in_pyproject_reports_a_smaller_loop(tmp_path):
    cells = ["for i in range(500):\n    print(i)\n"]
    assert check(tmp_path, cells) == []
    [finding] = check(tmp_path, cells, "max-printed-lines = 100\n")
    assert "~500 lines" in finding["message"] and "over max-printed-lines (100)" in finding["message"]


def test_max_printed_lines_is_compared_with_the_product_of_nested_loops(tmp_path):
    cells = ["for i in range(30):\n    for j in range(30):\n        print(i, j)\n"]  # 900 lines
    assert check(tmp_path, cells, "max-printed-lines = 900\n") == []
    [finding] = check(tmp_path, cells, "max-printed-lines = 899\n")
    assert where(finding) == ("NB401", 0, 1, 1)
    assert "(30 x 30 iterations)" in finding["message"]


@pytest.mark.slow  # one run per bad value
def test_max_printed_lines_that_is_not_a_count_is_a_configuration_error(tmp_path):
    for bad in ('"lots"', "-5", "true", "1.5"):
        (tmp_path / "pyproject.toml").write_text(f"[tool.nblint]\nmax-printed-lines = {bad}\n", encoding="utf-8")
        write_notebook(tmp_path / "nb.ipynb", FLOOD)
        result = run_nblint("check", "--no-cache", "--select", "NB401", "nb.ipynb", cwd=tmp_path)
        assert result.returncode == 2, (bad, result.stdout, result.stderr)
        assert "max-printed-lines" in result.stderr and "Traceback" not in result.stderr


def test_explain_lists_the_option(tmp_path):
    result = run_nblint("explain", "output-flood", cwd=tmp_path)
    assert result.returncode == 0
    assert "`max-printed-lines` (default 10000)" in result.stdout


def test_logging_counts_from_the_level_the_notebook_configures(tmp_path):
    loop = "for i in range(50_000):\n    logger.info('step %d', i)\n"
    silent = ["import logging\nlogger = logging.getLogger(__name__)\n", loop]
    assert check(tmp_path, silent) == []  # the root logger shows WARNING and above by default
    shown = ["import logging\nlogging.basicConfig(level=logging.INFO)\nlogger = logging.getLogger(__name__)\n", loop]
    [finding] = check(tmp_path, shown)
    assert where(finding) == ("NB401", 1, 1, 1) and finding["message"].startswith("logger.info()")


# -- NB201 ---------------------------------------------------------------------------------------------


def test_unbounded_loop_in_a_function_defined_in_one_cell_and_called_in_another(tmp_path):
    cells = [
        "import time\n",
        "def watch(path):\n    while True:\n        print(open(path).read())\n        time.sleep(5)\n",
        {"cell_type": "markdown", "source": "Now watch the log:"},
        "watch('train.log')\n",
    ]
    [finding] = check(tmp_path, cells)
    assert where(finding) == ("NB201", 1, 2, 5)
    assert finding["severity"] == "error"
    assert finding["message"].startswith("`while True:` loop in `watch()` has no break, return or raise")
    assert finding["fix"].startswith("for step in range(MAX_STEPS):")


def test_unbounded_loop_whose_exit_is_a_raising_helper_in_another_cell_is_not_reported(tmp_path):
    cells = [
        "def dispatch(command):\n    if command == 'quit':\n        raise SystemExit('bye')\n    print(eval(command))\n",
        "while True:\n    dispatch(input('> '))\n",
    ]
    assert check(tmp_path, cells, select="NB201") == []


def test_unbounded_loop_after_a_magic_line_keeps_its_position(tmp_path):
    cells = ["%matplotlib inline\n!pip install tqdm\nimport itertools\nfor i in itertools.count():\n    plot(i)\n"]
    [finding] = check(tmp_path, cells)
    assert where(finding) == ("NB201", 0, 4, 1)
    assert "`for i in itertools.count():`" in finding["message"]


def test_findings_of_these_rules_honour_line_suppressions(tmp_path):
    cells = [
        "while True:  # noqa: NB201\n    poll()\n",
        "for i in range(100_000):  # nblint: ignore[NB401]\n    print(i)\n",
        "i = 0\nwhile i < 3:  # nblint: ignore\n    print(i)\n",
        "def f(n):\n    return f(n - 1)  # noqa: NB203\n",
    ]
    assert check(tmp_path, cells) == []


# -- NB202 / NB203 -------------------------------------------------------------------------------------


def test_stale_condition_with_constant_from_an_earlier_cell(tmp_path):
    cells = ["EPOCHS = 5\nepoch = 0\n", "while epoch < EPOCHS:\n    train()\n    epochs_done = epoch + 1\n"]
    [finding] = check(tmp_path, cells)
    assert where(finding) == ("NB202", 1, 1, 1)
    assert finding["message"].startswith(
        "`while epoch < EPOCHS:` tests `epoch` and `EPOCHS`, which the loop body never change"
    )
    assert "epoch += 1" in finding["message"] and finding["fix"] == "epoch += 1  # at the end of the loop body"


def test_recursion_defined_in_one_cell_is_reported_at_the_self_call(tmp_path):
    cells = ["def depth(node):\n    return 1 + depth(node.parent)\n", "depth(tree)\n"]
    [finding] = check(tmp_path, cells)
    assert where(finding) == ("NB203", 0, 2, 16)
    assert finding["message"].startswith(
        "`depth()` calls itself on every path (`depth(node.parent)`) with no base case"
    )


def test_recursion_redefined_with_a_base_case_in_a_later_cell_is_not_reported(tmp_path):
    cells = [
        "def depth(node):\n    return 1 + depth(node.parent)\n",
        "def depth(node):\n    if node is None:\n        return 0\n    return 1 + depth(node.parent)\n",
    ]
    assert check(tmp_path, cells) == []


# -- robustness ----------------------------------------------------------------------------------------


@pytest.mark.slow  # deeply nested and very long code
def test_deeply_nested_and_very_long_code_is_analysed_without_crashing(tmp_path):
    long_sum = "+".join(["[255]*8", "[245]"] * 1000)
    nested = "while True:\n" + "".join("    " * depth + f"if x{depth}:\n" for depth in range(1, 60))
    nested += "    " * 60 + "pass\n"
    cells = [
        f"for i in range(100_000):\n    row = {long_sum}\n    print(row)\n",
        nested,
        f"def f(n):\n    return f({long_sum})\n",
        f"i = 0\nwhile i < {'+'.join(['1'] * 2000)}:\n    pass\n",
    ]
    findings = check(tmp_path, cells, None, LOOP_CODES + ",NB000,NB005")
    # The 2,000-term sums are over the screen's chain limit (libcst takes ~12 s of CPU for one): each
    # statement holding one is left out (NB005), so `return f(...)` (NB203) and `while i < ...:` (NB202)
    # go unchecked; the rest of every cell is analysed.
    assert sorted(where(f) for f in findings) == [
        ("NB005", 0, 2, 1),
        ("NB005", 2, 2, 1),
        ("NB005", 3, 2, 1),
        ("NB201", 1, 1, 1),
        ("NB401", 0, 1, 1),
    ]


# Special methods re-entered through another instance of their class (issue 21): each reported one really
# recurses when run, and the look-alikes do not.
INSTANCE_REENTRY = """\
class Bag:
    def __len__(self):
        return len(BAG)
BAG = Bag()

class Flag:
    def __bool__(self):
        return bool(Flag())

class Money:
    def __init__(self, v):
        self.v = v
    def __eq__(self, other):
        return Money(self.v) == other
    def __hash__(self):
        return hash(Money(self.v))
    def __repr__(self):
        return repr(ZERO)
ZERO = Money(0)

class Lazy:
    def __getattr__(self, name):
        return DEFAULT.fallback
DEFAULT = Lazy()

class Fine:
    def __init__(self, items):
        self.items = items
    def __len__(self):
        return len(EMPTY.items)
    def __eq__(self, other):
        return isinstance(other, Fine) and self.items == other.items
EMPTY = Fine([])

class Other:
    def __len__(self):
        return len(EMPTY)
"""


def test_special_methods_reentered_through_any_instance_of_their_class(tmp_path):
    findings = check_notebook(tmp_path, [INSTANCE_REENTRY], "NB203")
    lines = [f["line"] for f in findings]
    assert lines == [3, 8, 14, 16, 18, 23], findings
    # Run in a fresh interpreter at Python's default recursion limit: in this process a test or the deep-stack
    # thread may have raised the limit, and `len()` re-entering `__len__` then overflows the C stack (a
    # segfault) before RecursionError.
    expressions = {
        "len(BAG)": True,
        "bool(Flag())": True,
        "Money(1) == 2": True,
        "hash(Money(1))": True,
        "repr(ZERO)": True,
        "DEFAULT.x": True,
        "len(Fine([1]))": False,
        "Fine([]) == EMPTY": False,
        "len(Other())": False,
    }
    probe = (
        "import json, sys\n"
        "sys.setrecursionlimit(1000)\n"
        "namespace = {}\n"
        "exec(sys.argv[1], namespace)\n"
        "recursed = {}\n"
        "for expression in json.loads(sys.argv[2]):\n"
        "    try:\n"
        "        eval(expression, namespace)\n"
        "        recursed[expression] = False\n"
        "    except RecursionError:\n"
        "        recursed[expression] = True\n"
        "print(json.dumps(recursed))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe, INSTANCE_REENTRY, json.dumps(list(expressions))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == expressions


# Structured evidence of the loop and hang rules (issue 21): what each finding's JSON `evidence` holds.
EVIDENCE_CASES = [
    ("NB202", ["i = 0\nwhile i < 10:\n    print('x')\n"], {"kind": "loop", "loop": "while i < 10", "names": ["i"]}),
    (
        "NB203",
        ["class Bag:\n    def __len__(self):\n        return len(BAG)\nBAG = Bag()\n"],
        {"kind": "recursion", "function": "Bag.__len__", "call": "len(BAG)", "missing": "a base case"},
    ),
    ("NB203", ["f = lambda n: f(n - 1)\n"], {"kind": "recursion", "function": "f", "how": "lambda"}),
    (
        "NB204",
        ["import sys\nsys.setrecursionlimit(10**6)\n"],
        {"kind": "recursion-limit", "limit": 1_000_000},
    ),
    ("NB205", ["x = 7**(10**12)\n"], {"kind": "integer", "digits": 845_098_040_015, "max_integer_digits": 10_000_000}),
    (
        "NB205",
        ["import numpy as np\nx = np.int64(10) ** 30\n"],
        {"kind": "integer", "dtype": "int64", "bits": 64, "base": 10, "exponent": 30},
    ),
    (
        "NB206",
        ["x = 0\nwhile x != 10:\n    x += 3\n"],
        {"kind": "loop", "loop": "while x != 10", "variable": "x", "start": 0, "step": 3, "target": 10},
    ),
    (
        "NB401",
        ["for i in range(10**6):\n    print(i)\n"],
        {"kind": "loop", "loop": "for i in range(10**6)", "lines": 1_000_000, "outputs": ["print()"]},
    ),
    ("NB403", ["name = input('Name? ')\n"], {"kind": "blocking-call", "call": "input()"}),
    (
        "NB404",
        [
            "from multiprocessing import Pool\n",
            "def work(x):\n    return x * x\n",
            "with Pool(4) as pool:\n    out = pool.map(work, range(10))\n",
        ],
        {"kind": "blocking-call", "function": "work"},
    ),
    ("NB405", ["import time\ntime.sleep(7200)\n"], {"kind": "blocking-call", "seconds": 7200}),
    ("NB406", ["import os\npid = os.fork()\n"], {"kind": "blocking-call", "call": "os.fork()"}),
    ("NB407", ["!git commit\n"], {"kind": "blocking-call", "command": "git commit"}),
]


@pytest.mark.parametrize(("code", "cells", "expected"), EVIDENCE_CASES, ids=[c[0] for c in EVIDENCE_CASES])
def test_loop_and_hang_findings_carry_structured_evidence(tmp_path, code, cells, expected):
    findings = check_notebook(tmp_path, cells, code)
    assert findings, (code, cells)
    evidence = findings[0]["evidence"]
    assert {key: evidence.get(key) for key in expected} == expected, evidence
    assert evidence.get("subject") or evidence.get("loop")
