"""NB104 dense-result, NB106 huge-canvas and NB205 huge-integer through the real CLI: options from a
pyproject.toml `[tool.nblint]`, cross-cell positions and exit codes, magics the engine masks, and inputs
that a linter computing them would never finish."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, check_notebook, run_nblint, write_notebook

from nblint.core.code import cstwalk
from nblint.core.code.context import CodeContext
from nblint.core.code.facts import Facts
from nblint.core.code.program import build_program
from nblint.core.code.symbols import UNKNOWN
from nblint.core.options import MEMORY_BUDGET
from nblint.core.read.notebook import read_notebook
from nblint.rules.memory.dense_result import DenseResult

CODES = "NB104,NB106,NB205"


def check(tmp_path, cells, config: str | None = None):
    return check_notebook(tmp_path, cells, CODES, config=config)


# -- NB104 dense-result -----------------------------------------------------------------------------------

SIMILARITY = [
    "import numpy as np\nfrom sklearn.metrics.pairwise import cosine_similarity\n",
    "X = np.random.rand(300_000, 50)\n",
    "# the whole matrix, to pick the top 10 of each row\nsimilarity = cosine_similarity(X)\n",
]


def test_pairwise_matrix_is_reported_in_its_cell_with_size_evidence_and_way_out(tmp_path):
    [finding] = check(tmp_path, SIMILARITY)
    assert (finding["code"], finding["cell"], finding["line"], finding["column"]) == ("NB104", 2, 2, 14)
    assert finding["message"] == (
        "cosine_similarity(X) builds a 300,000 x 300,000 float64 matrix (~671 GiB; X = np.random.rand(300_000, 50)), "
        "over the 1 GiB budget; ask only for the nearest neighbours (sklearn.neighbors.NearestNeighbors), a sparse "
        "result (dense_output=False) or blocks of rows (sklearn.metrics.pairwise_distances_chunked)"
    )


def test_memory_budget_decides_dense_results_too(tmp_path):
    cells = ["import numpy as np\n", "X = np.random.rand(20_000, 8)\n", "G = X @ X.T\n"]  # 2.98 GiB
    [finding] = check(tmp_path, cells)
    assert finding["code"] == "NB104" and "~3.0 GiB" in finding["message"]
    assert check(tmp_path, cells, 'memory-budget = "4 GiB"\n') == []


def test_sparse_output_and_open_grids_are_not_reported(tmp_path):
    cells = [
        "import numpy as np\nimport scipy.sparse as sp\nfrom sklearn.metrics.pairwise import cosine_similarity\n",
        "S = sp.random(300_000, 10_000, density=0.001, format='csr')\n",
        "sim = cosine_similarity(S, dense_output=False)\n",
        "x = np.arange(5000)\nX, Y, Z = np.meshgrid(x, x, x[:500], sparse=True)\n",
    ]
    assert check(tmp_path, cells) == []
    # the same matrix made dense is reported
    [finding] = check(tmp_path, [*cells, "dense = sim.toarray()\nfull = S.toarray()\n"])
    assert (finding["cell"], finding["line"]) == (4, 2) and "S.toarray() builds a 300,000 x 10,000" in finding[
        "message"
    ]


class KernelNamespace:
    """A ValueSource (nblint.core.code.facts) answering from given Facts, as the live guard answers from
    the objects in a kernel: the rule must size them exactly as it sizes constructors it reads."""

    def __init__(self, facts: dict[str, Facts]) -> None:
        self._facts = facts

    def facts(self, name: str) -> Facts | None:
        return self._facts.get(name)

    def constant(self, name: str):
        return UNKNOWN

    def origin(self, name: str):
        return None

    def binds(self, name: str) -> bool:
        return name in self._facts


def dense_messages(path, cells, live=None) -> list[str]:
    program = build_program(read_notebook(write_notebook(path, cells)))
    context = CodeContext(program.module, live=live)
    rule = DenseResult(context, {MEMORY_BUDGET.key: MEMORY_BUDGET.parsed_default()})
    cstwalk.visit_batched(program.module, [context.scopes, rule])
    return [report.message for report in rule.reports]


def test_live_inputs_are_sized_like_static_ones(tmp_path):
    static = dense_messages(
        tmp_path / "static.ipynb",
        ["import scipy.sparse as sp\nS = sp.random(1_000_000, 50_000, density=0.0001)\n", "D = S.toarray()\n"],
    )
    from_data = ["S = load_npz('tfidf.npz')\n", "D = S.toarray()\n"]  # only a kernel knows S's size
    assert dense_messages(tmp_path / "data.ipynb", from_data) == []
    # the guard checks the cell about to run, with S already in the kernel from the cell before
    live = dense_messages(
        tmp_path / "cell.ipynb",
        from_data[1:],
        KernelNamespace(
            {
                "S": Facts(
                    "sparse",
                    shape=(1_000_000, 50_000),
                    dtype="float64",
                    nnz=5_000_000,
                    evidence="S is a live csr_matrix",
                ),
            }
        ),
    )
    same = "S.toarray() builds a 1,000,000 x 50,000 float64 matrix (~373 GiB; "
    assert [m[: len(same)] for m in static] == [m[: len(same)] for m in live] == [same]
    assert "S is a live csr_matrix), over the 1 GiB budget" in live[0]


# -- NB106 huge-canvas --------------------------------------------------------------------------------------

POSTER = ["import matplotlib.pyplot as plt\n", "fig, ax = plt.subplots(figsize=(40, 40), dpi=1200)\n"]


def test_figure_canvas_is_reported_when_the_notebook_displays_it(tmp_path):
    [finding] = check(tmp_path, POSTER)
    assert (finding["code"], finding["cell"], finding["line"], finding["column"]) == ("NB106", 1, 1, 11)
    assert "48,000 x 48,000 pixels (~8.6 GiB of RGBA: 40 x 40 in at 1,200 dpi)" in finding["message"]
    assert check(tmp_path, POSTER, 'memory-budget = "16 GiB"\n') == []


@pytest.mark.parametrize(
    "setting",
    [
        "%config InlineBackend.figure_formats = ['svg']",
        "%matplotlib agg",
    ],
)
def test_magics_that_stop_raster_display_are_read(tmp_path, setting):
    # the engine masks these lines before parsing; the rule reads them as written
    assert check(tmp_path, [setting + "\n", *POSTER]) == []


def test_retina_inline_format_doubles_each_side(tmp_path):
    figure = ["import matplotlib.pyplot as plt\n", "fig = plt.figure(figsize=(100, 80))\n"]  # 305 MiB at 100 dpi
    assert check(tmp_path, figure) == []
    [finding] = check(tmp_path, ["%config InlineBackend.figure_format = 'retina'\n", *figure])
    assert "20,000 x 16,000 pixels (~1.2 GiB of RGBA: 100 x 80 in at 200 dpi)" in finding["message"]


def test_vector_savefig_is_not_reported_but_raster_savefig_is(tmp_path):
    cells = [
        "import matplotlib.pyplot as plt\n",
        "fig = plt.figure(figsize=(20, 15))\nplt.close(fig)\n",
        "fig.savefig('poster.pdf', dpi=2000)\nfig.savefig('poster.svg', dpi=2000)\n",
        "fig.savefig('poster.png', dpi=2000)\n",
    ]
    [finding] = check(tmp_path, cells)
    assert (finding["cell"], finding["line"], finding["column"]) == (3, 1, 1)
    assert "40,000 x 30,000 pixels" in finding["message"] and "fig = plt.figure(figsize=(20, 15))" in finding["message"]


# -- NB205 huge-integer -------------------------------------------------------------------------------------


def test_huge_powers_are_estimated_never_computed(tmp_path):
    # Each of these would hang nblint itself if it computed them; the run must finish well within the timeout.
    cells = [
        "import math\n",
        "a = 10**10**10**10**10\n",
        "b = pow(7, 10**10**10)\n",
        "c = math.factorial(10**100)\n",
        "d = 2**" + "**".join(["2"] * 200) + "\n",
    ]
    findings = check(tmp_path, cells)
    assert [(f["cell"], f["code"]) for f in findings] == [(1, "NB205"), (2, "NB205"), (3, "NB205"), (4, "NB205")]
    assert "10**10**10 computes an integer of ~10,000,000,001 decimal digits" in findings[0]["message"]
    assert findings[1]["message"].startswith("10**10**10 computes")  # inside pow(): the exponent itself
    assert "~10^" in findings[2]["message"]


def test_max_integer_digits_option(tmp_path):
    cells = ["x = 7**(10**6)\n"]  # 845,099 digits: a fraction of a second
    assert check(tmp_path, cells) == []
    [finding] = check(tmp_path, cells, "max-integer-digits = 100_000\n")
    assert "~845,099 decimal digits" in finding["message"] and "over max-integer-digits 100,000" in finding["message"]


def test_max_integer_digits_that_is_not_a_count_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nmax-integer-digits = "many"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", ["x = 7**(10**12)\n"])
    result = run_nblint("check", "--no-cache", "--select", CODES, "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert "max-integer-digits" in result.stderr and "Traceback" not in result.stderr


# -- the corpus ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_corpus_has_no_findings_at_the_default_limits():
    """Precision: at the defaults, none of the 524 real notebooks builds a result, a canvas or an integer this big."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    result = run_nblint(
        "check", "--no-cache", "--jobs", "1", "--select", CODES, "--format", "json", str(CORPUS), timeout=900
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# NumPy integer scalar powers: what NB205 says wraps does wrap in the NumPy installed here, what it leaves
# alone is exact or raises (issue 21).
SCALAR_POWERS = [
    ("int64", 10, 30, True),
    ("uint8", 2, 9, True),
    ("int32", 10, 10, True),
    ("int64", 7, 100, True),
    ("uint16", 3, 11, True),
    ("int64", 2, 62, False),
    ("int64", -2, 63, False),
    ("uint8", 2, 7, False),
    ("int8", -2, 7, False),
    ("int8", -2, 8, True),
    ("uint8", 2, 300, False),  # NumPy 2: OverflowError, never a wrong value
    ("int64", 1, 10**12, False),
]


def test_numpy_scalar_powers_that_wrap_are_reported_and_they_do_wrap(tmp_path):
    import numpy as np

    cells = ["import numpy as np\n"] + [f"v = np.{t}({b}) ** {e}\n" for t, b, e, _ in SCALAR_POWERS]
    findings = check_notebook(tmp_path, cells, "NB205")
    reported = {f["cell"] for f in findings}
    for index, (dtype, base, exponent, wraps) in enumerate(SCALAR_POWERS, start=1):
        assert (index in reported) == wraps, (dtype, base, exponent, findings)
        try:
            value = getattr(np, dtype)(base) ** exponent
        except OverflowError:
            assert not wraps
            continue
        assert (int(value) != base**exponent) == wraps, (dtype, base, exponent, value)
    assert all(f["severity"] == "warning" and "wraps around" in f["message"] for f in findings)


def test_numpy_scalars_made_python_ints_and_object_arrays_are_python_powers(tmp_path):
    cells = [
        "import numpy as np\nseed = np.int64(7)\n",
        "a = int(seed) ** 10**12\n",
        "b = np.int64(7).item() ** 10**12\n",
        "c = np.arange(1, 100, dtype=object) ** 10**9\n",
        "d = np.array([3, 5]).astype(object) ** 10**9\n",
        "e = np.array([3, 5]) ** 10**9\nf = np.arange(1, 100, dtype=object) ** 1000\n",
    ]
    findings = check_notebook(tmp_path, cells, "NB205")
    assert [f["cell"] for f in findings] == [1, 2, 3, 4], findings
    assert all(f["severity"] == "error" for f in findings)
    assert "99 Python integer powers" in findings[2]["message"]
