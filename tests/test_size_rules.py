"""NB101, NB102, NB103, NB204, NB405 through the real CLI: each option's effect from a pyproject.toml
`[tool.nblint]` in tmp_path, positions of cross-cell findings, and code that must not slow or crash them."""

from __future__ import annotations

import json

import pytest
from conftest import check_notebook, run_nblint, write_notebook

SIZE_CODES = "NB101,NB102,NB103,NB204,NB405"


def check(tmp_path, cells, config: str | None = None, select: str = SIZE_CODES):
    return check_notebook(tmp_path, cells, select, config=config)


def codes(findings):
    return [f["code"] for f in findings]


# -- memory-budget, shared by NB101 and NB103 -----------------------------------------------------------

ALLOCATION = ["import numpy as np\n", "x = np.zeros((20_000, 20_000))\n"]  # 3.0 GiB of float64
REPETITION = ["row = [0] * 200_000_000\n"]  # 1.5 GiB of pointers


def test_allocation_over_default_budget_is_reported_with_evidence(tmp_path):
    [finding] = check(tmp_path, ALLOCATION)
    assert finding["code"] == "NB101"
    assert (finding["cell"], finding["line"], finding["column"]) == (1, 1, 5)
    assert finding["message"] == (
        "np.zeros((20_000, 20_000)) allocates ~3.0 GiB (float64, shape 20000 x 20000) over the 1 GiB budget; "
        "build it in chunks, use a smaller dtype, or np.memmap"
    )
    assert finding["fix"].startswith("np.memmap('array.dat', dtype='float64', mode='w+', shape=(20000, 20000))")


def test_memory_budget_raised_in_pyproject_silences_allocation(tmp_path):
    assert check(tmp_path, ALLOCATION, 'memory-budget = "4 GiB"\n') == []


@pytest.mark.slow  # several nblint runs in turn
def test_memory_budget_lowered_in_pyproject_reports_smaller_allocation(tmp_path):
    cells = ["import numpy as np\n", "x = np.ones((2_000, 2_000))\n"]  # 30.5 MiB
    assert check(tmp_path, cells) == []
    [finding] = check(tmp_path, cells, 'memory-budget = "16 MiB"\n')
    assert "~30.5 MiB" in finding["message"] and "over the 16 MiB budget" in finding["message"]


@pytest.mark.slow  # several nblint runs in turn
def test_memory_budget_applies_to_repetitions_too(tmp_path):
    [finding] = check(tmp_path, REPETITION)
    assert finding["code"] == "NB103" and "~1.5 GiB" in finding["message"]
    assert check(tmp_path, REPETITION, 'memory-budget = "2GB"\n') == []


def test_memory_budget_that_is_not_a_size_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nmemory-budget = "lots"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", ALLOCATION)
    result = run_nblint("check", "--no-cache", "--select", SIZE_CODES, "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert "memory-budget" in result.stderr and "Traceback" not in result.stderr


# -- max-literal-elements ----------------------------------------------------------------------------------

LITERAL = ["values = [" + ", ".join(str(i) for i in range(600)) + "]\n"]


def test_max_literal_elements_default_allows_600(tmp_path):
    assert check(tmp_path, LITERAL) == []


def test_max_literal_elements_lowered_reports_literal(tmp_path):
    [finding] = check(tmp_path, LITERAL, "max-literal-elements = 500\n")
    assert finding["code"] == "NB102"
    assert (finding["line"], finding["column"]) == (1, 10)
    assert "list literal of 600 elements" in finding["message"]
    assert "over max-literal-elements 500" in finding["message"]


def test_max_literal_elements_must_be_an_integer(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nmax-literal-elements = "many"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", LITERAL)
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2 and "max-literal-elements" in result.stderr


# -- max-recursion-limit -----------------------------------------------------------------------------------

RECURSION = ["import sys\n", "sys.setrecursionlimit(20_000)\n"]


def test_recursion_limit_over_default_is_reported(tmp_path):
    [finding] = check(tmp_path, RECURSION)
    assert finding["code"] == "NB204" and (finding["cell"], finding["line"], finding["column"]) == (1, 1, 1)
    assert "raises the limit to 20,000, over max-recursion-limit 10000" in finding["message"]


def test_max_recursion_limit_raised_in_pyproject(tmp_path):
    assert check(tmp_path, RECURSION, "max-recursion-limit = 50000\n") == []


@pytest.mark.slow  # several nblint runs in turn
def test_max_recursion_limit_lowered_in_pyproject(tmp_path):
    cells = ["import sys\nsys.setrecursionlimit(5000)\n"]
    assert check(tmp_path, cells) == []
    [finding] = check(tmp_path, cells, "max-recursion-limit = 3000\n")
    assert "over max-recursion-limit 3000" in finding["message"]


# -- max-sleep ---------------------------------------------------------------------------------------------

SLEEP = ["import time\n", "time.sleep(900)\n"]


def test_sleep_over_default_is_reported(tmp_path):
    [finding] = check(tmp_path, SLEEP)
    assert finding["code"] == "NB405"
    assert "time.sleep(900) blocks the kernel for 15 min, over max-sleep 600 s" in finding["message"]


def test_max_sleep_raised_in_pyproject(tmp_path):
    assert check(tmp_path, SLEEP, "max-sleep = 1200\n") == []


@pytest.mark.slow  # several nblint runs in turn
def test_max_sleep_lowered_in_pyproject_accepts_fractions(tmp_path):
    cells = ["import time\ntime.sleep(45)\n"]
    assert check(tmp_path, cells) == []
    [finding] = check(tmp_path, cells, "max-sleep = 30.5\n")
    assert "over max-sleep 30.5 s" in finding["message"]


# -- the cross-cell cases of the brief, end to end -----------------------------------------------------------


@pytest.mark.slow  # several nblint runs in turn
def test_import_constant_and_call_in_three_cells(tmp_path):
    cells = [
        "import numpy as np\n",
        {"cell_type": "markdown", "source": "## Distances"},
        "N = 100_000\n",
        "# all pairs\ndist = np.random.rand(N, N)\n",
    ]
    [finding] = check(tmp_path, cells)
    assert (finding["code"], finding["cell"], finding["line"], finding["column"]) == ("NB101", 3, 2, 8)
    assert "~74.5 GiB (float64, shape 100000 x 100000)" in finding["message"]


def test_constant_reassigned_in_a_later_cell_is_unknown(tmp_path):
    cells = ["import numpy as np\nN = 100_000\n", "N = 10\n", "x = np.zeros((N, N))\nrow = [0] * N ** 3\n"]
    assert check(tmp_path, cells) == []


@pytest.mark.parametrize(
    "cells",
    [
        ["import numpy as numeric\n", "x = numeric.ones((50_000, 50_000))\n"],
        ["from numpy import ones\n", "x = ones((50_000, 50_000))\n"],
        ["import numpy.random as npr\n", "x = npr.randn(50_000, 50_000)\n"],
    ],
    ids=["module-alias", "from-import", "submodule-alias"],
)
def test_aliases_are_followed(tmp_path, cells):
    [finding] = check(tmp_path, cells)
    assert finding["code"] == "NB101" and finding["cell"] == 1 and "~18.6 GiB" in finding["message"]


def test_runtime_shapes_and_lookalike_methods_are_not_reported(tmp_path):
    cells = [
        "import numpy as np\nimport torch\nimport pandas as pd\ndf = pd.read_csv('x.csv')\n",
        "a = np.zeros((len(df), 100_000))\nb = torch.zeros(x.size(1), 100_000, 100_000)\n",
        "model.zeros((100_000, 100_000))\nweights = [1.0] * len(df)\n",
        "# np.zeros((100_000, 100_000))\ntext = 'np.zeros((100_000, 100_000))'\n",
    ]
    assert check(tmp_path, cells) == []


# -- robustness ------------------------------------------------------------------------------------------------


@pytest.mark.slow  # a 2,000-term expression
def test_two_thousand_term_expression_is_checked_without_error(tmp_path):
    # The Kaggle cell that makes ruff overflow its stack: 2,000 small list terms joined by +.
    expression = "+".join(["[255]*8", "[245]"] * 1000)
    cells = [f"palette = {expression}\n", "import numpy as np\nx = np.zeros((50_000, 50_000))\n"]
    findings = check(tmp_path, cells, select=SIZE_CODES + ",NB000")
    assert codes(findings) == ["NB101"], findings  # the analysis reached the next cell, and no NB000


@pytest.mark.slow  # a literal nested past the recursion limit
def test_deeply_nested_literal_is_counted_without_recursion(tmp_path):
    depth = 150  # CPython itself refuses more than 200 nested brackets
    literal = "[" * depth + ", ".join(["1"] * 20) + "]" * depth
    findings = check(tmp_path, [f"x = {literal}\n"], "max-literal-elements = 10\n", select=SIZE_CODES + ",NB000")
    assert codes(findings) == ["NB102"]
    assert "list literal of 20 elements" in findings[0]["message"]


@pytest.mark.slow  # several nblint runs in turn
def test_full_format_shows_the_fix(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["import time\ntime.sleep(7200)\n"])
    result = run_nblint("check", "--no-cache", "--select", "NB405", "--format", "full", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert "blocks the kernel for 2 h" in result.stdout
    assert "time.monotonic() < deadline" in result.stdout


@pytest.mark.slow  # several nblint runs in turn
def test_json_output_is_valid_for_all_five(tmp_path):
    cells = [
        "import numpy as np, sys, time\n",
        "a = np.eye(50_000)\nb = [None] * 10**10\nc = (" + ", ".join(["0"] * 10_001) + ")\n",
        "sys.setrecursionlimit(10**6)\ntime.sleep(3600)\n",
    ]
    findings = check(tmp_path, cells)
    assert sorted(codes(findings)) == ["NB101", "NB102", "NB103", "NB204", "NB405"]
    assert all(f["cell"] in (1, 2) and f["line"] and f["column"] for f in findings)
    json.dumps(findings)


# -- sizes through * and ** unpacking of sequences of known length (issue 21) ----------------------------

STARRED_SHAPES = [
    "import numpy as np\nimport torch\nn = 5000\nN = 2000\n",
    "a = np.zeros((*[n] * 3,))\n",
    "shape = [N for _ in range(3)]\nb = np.ones(shape)\n",
    "c = np.zeros(tuple(N for _ in range(3)))\n",
    "d = np.random.rand(*[N] * 3)\n",
    "e = torch.zeros(*shape)\n",
    "f = np.zeros(**{'shape': (n, n, n)})\n",
    "g = np.indices([N for _ in range(3)])\n",
    "dims = (N,) * 3\nk = np.empty(dims)\n",
    # not known: the element reads its variable, a range too long to spell out, a name of unknown length
    "h = np.zeros([N + i for i in range(3)])\nm = np.zeros([N for _ in range(100)])\no = np.zeros(*sizes)\n",
]


def test_shapes_through_star_unpacking_and_comprehensions_are_sized(tmp_path):
    findings = check(tmp_path, STARRED_SHAPES, select="NB101,NB104")
    assert [(f["cell"], f["code"]) for f in findings] == [
        (1, "NB101"),
        (2, "NB101"),
        (3, "NB101"),
        (4, "NB101"),
        (5, "NB101"),
        (6, "NB101"),
        (7, "NB104"),
        (8, "NB101"),
    ], findings
    assert "shape 5000 x 5000 x 5000" in findings[0]["message"]
    assert "shape 2000 x 2000 x 2000" in findings[1]["message"]
    assert "~29.8 GiB (float32, shape 2000 x 2000 x 2000)" in findings[4]["message"]


def test_the_guard_sizes_star_unpacking_with_live_values_as_check_does(tmp_path):
    import numpy

    from nblint.guard.check import check_cell
    from nblint.guard.values import LiveValues
    from nblint.rules import ALL_RULES

    static = check(tmp_path, ["import numpy as np\nN = 2000\ndims = [N] * 3\n", "x = np.random.rand(*dims)\n"])
    assert len(static) == 1
    rule = ALL_RULES["NB101"]
    options = {option.key: option.parsed_default() for option in rule.options}
    live = LiveValues({"np": numpy, "N": 2000, "dims": [2000] * 3}, {"np": ("numpy", numpy)})
    for cell in ("x = np.random.rand(*dims)\n", "x = np.zeros((*[N] * 3,))\n", "x = np.ones([N for _ in range(3)])\n"):
        verdict = check_cell(cell, live, [rule], options, lambda: None, refuse=False)
        assert len(verdict.warnings) == 1 and "NB101" in verdict.warnings[0], (cell, verdict)
        assert "59.6 GiB" in verdict.warnings[0] and "59.6 GiB" in static[0]["message"]
