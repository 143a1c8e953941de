"""The guard in a real kernel (ipykernel through jupyter_client): refused, warned, suppressed, left alone.

Sizes are far beyond this machine (tens of TiB), so a refused cell could never allocate; cells that must
run keep their big allocations behind conditions that are false at run time.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("ipykernel", reason="the guard's tests need ipykernel (the test extra)")
pytest.importorskip("numpy", reason="the guard's tests size real NumPy arrays (the test extra)")

from kernel import run, start_kernel  # noqa: E402

BIG = "np.zeros((len(rows), 50, 4096 * 1000))"  # ~73 TiB with 47,912 rows


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guard-kernel")
    manager, client = start_kernel(folder)
    try:
        setup = run(client, "%load_ext nblint\nimport numpy as np\nrows = list(range(47_912))\n")
        assert setup.status == "ok", setup.shown
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_cell_that_cannot_fit_is_refused_in_one_line_and_the_kernel_keeps_its_variables(kernel):
    refused = run(kernel, f"before = 1\nx = {BIG}\n")
    assert refused.status == "error" and refused.ename == "CellRefused"
    assert len(refused.traceback) == 1, refused.traceback
    line = refused.traceback[0]
    assert "NB101 refused: np.zeros((len(rows), 50, 4096 * 1000)) allocates ~" in line
    assert "rows has 47,912 items" in line and "available to this kernel" in line
    assert 'add "# nblint: ignore[NB101]" to run it anyway' in line
    assert "Traceback" not in refused.shown and "nblint/" not in refused.shown
    after = run(kernel, "print(len(rows), 'before' in dir(), 'x' in dir())\n")
    assert after.status == "ok" and after.stdout.strip() == "47912 False False", after.shown


def test_look_alikes_run_without_a_word(kernel):
    cell = (
        "small = np.zeros((len(rows), 2))\n"
        "class Model:\n    def zeros(self, shape):\n        return shape\n"
        "print(small.shape, Model().zeros((len(rows), 50, 4096 * 1000)))\n"
    )
    result = run(kernel, cell)
    assert result.status == "ok", result.shown
    assert result.stdout.strip() == "(47912, 2) (47912, 50, 4096000)" and result.stderr == ""


def test_a_likely_blow_up_under_what_is_available_is_a_warning_and_the_cell_runs(kernel):
    result = run(kernel, "if len(rows) < 0:\n    y = np.zeros((len(rows), 50, 200))\nprint('ran')\n")
    assert result.status == "ok" and result.stdout.strip() == "ran"
    assert result.stderr.count("NB101 warning") == 1 and "over the 1 GiB budget" in result.stderr
    assert "rows has 47,912 items" in result.stderr


@pytest.mark.parametrize(
    "how, metadata",
    [
        ("    x = BIG  # nblint: ignore[NB101]\n", None),
        ("    x = BIG  # noqa: NB101\n", None),
        ("    x = BIG\n# nblint: ignore-cell[NB101]\n", None),
        ("    x = BIG\n", {"tags": ["nblint-ignore[NB101]"]}),  # a frontend that sends the cell's tags
    ],
)
def test_a_suppressed_cell_runs(kernel, how, metadata):
    cell = "if len(rows) < 0:\n" + how.replace("BIG", BIG) + "print('ran')\n"
    result = run(kernel, cell, metadata=metadata)
    assert result.status == "ok" and result.stdout.strip() == "ran", result.shown
    assert "NB101" not in result.stderr
    unsuppressed = run(kernel, "if len(rows) < 0:\n    x = " + BIG + "\nprint('ran')\n")
    assert unsuppressed.status == "error" and "NB101 refused" in unsuppressed.shown


def test_objects_that_raise_on_every_read_never_stop_a_cell(kernel):
    define = run(
        kernel,
        """
class Exotic:
    def __getattr__(self, name):
        raise RuntimeError('attribute ' + name)
    def __len__(self):
        raise RuntimeError('len')
    @property
    def shape(self):
        raise RuntimeError('shape')
    @property
    def __class__(self):
        raise RuntimeError('__class__')

class Odd(np.ndarray):
    @property
    def shape(self):
        raise RuntimeError('shape of a subclass')

exotic = Exotic()
odd = np.zeros(47_912).view(Odd)
""",
    )
    assert define.status == "ok", define.shown
    result = run(
        kernel,
        "z = np.zeros((len(exotic), 4096 * 1000)) if False else 0\n"
        "w = exotic.shape if False else 1\nprint('exotic ran', z, w)\n",
    )
    assert result.status == "ok" and result.stdout.strip() == "exotic ran 0 1", result.shown
    assert "RuntimeError" not in result.shown
    # the subclass's own `shape` never runs: the guard reads numpy's, and refuses
    refused = run(kernel, "big = np.zeros((len(odd), 50, 4096 * 1000))\n")
    assert refused.ename == "CellRefused" and "odd is a 47,912 float64 array" in refused.traceback[0]


def test_the_nblint_magic_reports_and_switches(kernel):
    status = run(kernel, "%nblint\n")
    assert status.status == "ok"
    assert "nblint guard on" in status.stdout and "memory available to this kernel:" in status.stdout
    assert ", from " in status.stdout and "memory-budget" in status.stdout
    lazy = "if len(rows) < 0:\n    x = " + BIG + "\nprint('ran')\n"
    try:
        assert "never refused" in run(kernel, "%nblint check\n").stdout
        warned = run(kernel, lazy)
        assert warned.status == "ok" and warned.stdout.strip() == "ran" and "NB101 warning" in warned.stderr
        assert "off" in run(kernel, "%nblint off\n").stdout
        quiet = run(kernel, lazy)
        assert quiet.status == "ok" and quiet.stderr == ""
        assert "unknown argument" in run(kernel, "%nblint sideways\n").stderr
    finally:
        assert "nblint guard on" in run(kernel, "%nblint on\n").stdout
    assert run(kernel, lazy).status == "error"


def test_cells_that_are_not_python_are_left_alone_and_magics_are_masked(kernel):
    bash = run(kernel, f"%%bash\necho 'x = {BIG}'\n")
    assert bash.status == "ok" and "x = np.zeros" in bash.stdout and bash.stderr == ""
    magic = run(kernel, f"%time n = len(rows)\nif n < 0:\n    x = {BIG}\n")
    assert magic.status == "error" and "NB101 refused" in magic.shown
    timed = run(kernel, f"%%time\nif len(rows) < 0:\n    x = {BIG}  # nblint: ignore[NB101]\nprint('timed')\n")
    assert timed.status == "ok" and "timed" in timed.stdout


def test_imports_from_earlier_cells_and_live_constants_size_later_cells(kernel):
    assert run(kernel, "from numpy import ones\nN = 50_000\n").status == "ok"
    result = run(kernel, "grid = ones((N, N, 1000), dtype='int8')\n")
    assert result.ename == "CellRefused" and "N is 50,000" in result.traceback[0], result.shown
    # rebinding the name in the cell itself: the live value is stale and is not used
    result = run(kernel, "N = 3\ngrid = ones((N, N))\nprint(grid.shape)\n")
    assert result.status == "ok" and result.stdout.strip() == "(3, 3)", result.shown


def test_a_merge_that_multiplies_rows_is_refused_from_the_key_counts_and_one_on_unique_keys_runs(kernel):
    pytest.importorskip("pandas", reason="NB110 counts keys of real pandas frames (a test extra)")
    setup = run(
        kernel,
        "import pandas as pd\n"
        "left = pd.DataFrame({'key': [0, 1] * 100_000, 'a': 1.0})\n"
        "right = pd.DataFrame({'key': [0, 1] * 100_000, 'b': 2.0})\n"
        "ids = pd.DataFrame({'key': range(200_000), 'c': 3.0})\n",
    )
    assert setup.status == "ok", setup.shown
    refused = run(kernel, "merged = left.merge(right, on='key')\n")
    assert refused.ename == "CellRefused", refused.shown
    assert "NB110 refused: left.merge(right, on='key') makes ~20,000,000,000 rows" in refused.traceback[0]
    assert "repeats up to 100,000 times in left and 100,000 in right" in refused.traceback[0]
    fine = run(kernel, "merged = ids.merge(ids, on='key')\nprint(len(merged))\n")
    assert fine.status == "ok" and fine.stdout.strip() == "200000" and fine.stderr == "", fine.shown


def test_frames_built_from_literals_and_merged_in_one_cell_are_refused_before_any_of_it_runs(kernel):
    pytest.importorskip("pandas", reason="NB110 sizes pandas frames (a test extra)")
    cell = (
        "import pandas as pd\nprint('ran')\n"
        "left = pd.DataFrame({'key': [0] * 60_000, 'a': range(60_000)})\n"
        "right = pd.DataFrame({'key': [0] * 60_000, 'b': range(60_000)})\n"
        "merged = left.merge(right, on='key')\n"
    )
    refused = run(kernel, cell)
    assert refused.ename == "CellRefused" and "ran" not in refused.stdout, refused.shown
    assert "NB110 refused: left.merge(right, on='key') makes ~3,600,000,000 rows" in refused.traceback[0]
    assert "~107 GiB" in refused.traceback[0]
    # the same frames, live from an earlier cell: the same code and size from the key counts
    assert run(kernel, cell.replace("merged = left.merge(right, on='key')\n", "")).status == "ok"
    live = run(kernel, "merged = left.merge(right, on='key')\n")
    assert (
        live.ename == "CellRefused" and "~3,600,000,000 rows" in live.traceback[0] and "~107 GiB" in live.traceback[0]
    )
    joined = run(kernel, "j = left.join(right.set_index('key').b, on='key')\n")
    assert joined.ename == "CellRefused" and "~3,600,000,000 rows" in joined.traceback[0], joined.shown


# -- static and live agree: the size rules' INVALID examples, with their sizes written in the code
# (`nblint check`) and the same sizes held by live objects in the kernel under the guard -----------------

_SIZE = re.compile(r"~[\d.]+ [KMGT]iB")
_BIG_INT = re.compile(r"(?<![\w.])\d[\d_]{3,}(?![\w.])")  # 100_000, 50000: not 0.5, 1e9, int8


def _size_rule_examples():
    """Every static size rule (NB1xx with memory-budget) and its INVALID examples; NB110, whose examples
    are mostly live, has its own comparison in tests/test_reshape_sizes.py."""
    from nblint.core.options import MEMORY_BUDGET
    from nblint.rules import ALL_RULES

    for code, rule in ALL_RULES.items():
        if code.startswith("NB1") and MEMORY_BUDGET in rule.options and not any(e.live for e in rule.INVALID):
            for number, example in enumerate(rule.INVALID):
                if not example.options:  # another budget: the guard's comes from the configuration
                    yield code, number, example


def _hoisted(source: str) -> tuple[str, str]:
    """The cell with its large integer literals replaced by live names, and the cell that defines them."""
    values: list[str] = []

    def replace(match):
        values.append(match.group(0))
        return f"_size{len(values) - 1}"

    return _BIG_INT.sub(replace, source), "".join(f"_size{i} = {value}\n" for i, value in enumerate(values))


def _live_setup(earlier: str) -> str | None:
    """Code giving the kernel what `earlier` binds: its imports as written, its constants, and each array
    or sparse matrix as an object of the same shape and dtype that holds no memory (a zero-stride view,
    an empty sparse matrix). None when a binding cannot be reproduced."""
    import libcst as cst

    from nblint.core.code.context import CodeContext
    from nblint.core.code.cstparse import parse_module
    from nblint.core.code.symbols import UNKNOWN
    from nblint.core.sizes import facts_of

    try:
        module = parse_module(earlier)
    except cst.ParserSyntaxError:  # IPython syntax (%matplotlib inline): not reproduced
        return None
    context = CodeContext(module)
    lines = [
        module.code_for_node(statement)
        for statement in module.body
        if isinstance(statement, cst.SimpleStatementLine)
        and all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)
    ]
    for name in context.symbols._bindings:
        if name in context.symbols.imports:
            continue
        value = context.symbols.constant(name, context._evaluate_global)
        if value is not UNKNOWN:
            lines.append(f"{name} = {value!r}\n")
            continue
        facts = facts_of(cst.Name(name), context)
        if facts is None or facts.shape is None or facts.kind not in ("array", "sparse"):
            return None
        dtype = facts.dtype or "uint8"
        if facts.kind == "array":
            lines.append(
                f"{name} = __import__('numpy').lib.stride_tricks.as_strided("
                f"__import__('numpy').zeros(1, dtype='{dtype}'), shape={facts.shape}, "
                f"strides={(0,) * len(facts.shape)})\n"
            )
        else:
            lines.append(
                f"{name} = __import__('scipy.sparse', fromlist=['csr_matrix']).csr_matrix("
                f"{facts.shape}, dtype='{dtype}')\n"
            )
    return "".join(lines)


def _split(cells: list[str], cell: int, line: int) -> tuple[str, str]:
    """(the code before the finding, the code from the finding's line on): one notebook, cut where the
    static finding is, so what comes before can be turned into live objects."""
    import ast

    lines = cells[cell].splitlines(keepends=True)
    before, rest = "".join(lines[: line - 1]), "".join(lines[line - 1 :])
    try:
        ast.parse(before)
        ast.parse(rest)
    except SyntaxError:
        before, rest = "", cells[cell]
    return "".join(cells[:cell]) + before, rest


@pytest.mark.slow  # ~7 s: every example through `nblint check` and the kernel
def test_size_rules_give_the_same_code_and_size_statically_and_live(kernel, tmp_path):
    from conftest import json_findings, run_nblint, write_notebook

    cases = list(_size_rule_examples())
    for code, number, example in cases:
        cells = [example.source] if isinstance(example.source, str) else list(example.source)
        write_notebook(tmp_path / f"{code}-{number}.ipynb", cells)
    static = json_findings(run_nblint("check", "--no-cache", "--select", "NB1", "--format", "json", ".", cwd=tmp_path))
    compared: dict[str, int] = {}
    for code, number, example in cases:
        mine = [f for f in static if f["path"] == f"{code}-{number}.ipynb" and f["code"] == code]
        assert mine, (code, number)
        cells = [example.source] if isinstance(example.source, str) else list(example.source)
        earlier, checked = _split(cells, mine[0]["cell"], mine[0]["line"])
        setup = _live_setup(earlier)
        if setup is None or run(kernel, setup).status != "ok":
            continue  # a library this machine does not have, or a binding that cannot be reproduced
        checked, sizes = _hoisted(checked)
        assert run(kernel, sizes).status == "ok"
        verdict = run(
            kernel,
            "from nblint.guard.extension import _GUARDS\n"
            f"_v = next(iter(_GUARDS.values())).check({checked!r})\n"
            "print('\\n'.join(_v.refused + _v.warnings))\n",
        )
        assert verdict.status == "ok", verdict.shown
        live_lines = verdict.stdout.strip().splitlines()
        assert any(line.startswith(f"{code} refused") or f" {code} warning" in line for line in live_lines), (
            code,
            number,
            setup,
            checked,
            verdict.shown,
        )
        size = _SIZE.search(mine[0]["message"])
        assert size and any(size.group(0) in line for line in live_lines), (mine[0]["message"], live_lines)
        compared[code] = compared.get(code, 0) + 1
    assert compared.get("NB101", 0) >= 15 and compared.get("NB103", 0) >= 3, compared


def test_an_error_inside_the_guard_lets_the_cell_run_with_one_line(kernel):
    # break the guard's own check from inside the kernel: the cell must still run, and say so once
    broken = run(
        kernel,
        "import nblint.guard.check as _check\n_saved = _check.check_cell\n"
        "_check.check_cell = lambda *args, **kwargs: 1 / 0\n",
    )
    assert broken.status == "ok"
    try:
        result = run(kernel, "print('still runs')\n")
        assert result.status == "ok" and result.stdout.strip() == "still runs"
        assert result.stderr.strip() == "nblint guard skipped this cell: ZeroDivisionError: division by zero"
        assert run(kernel, "print(1)\n").stderr.count("skipped") == 1  # the transformer stays registered
    finally:
        assert run(kernel, "_check.check_cell = _saved\n").status == "ok"
    assert run(kernel, f"x = {BIG}\n").ename == "CellRefused"


def test_a_statement_sized_by_an_earlier_statement_of_the_same_cell_is_refused_before_it_runs(kernel):
    cell = (
        "fresh = list(range(47_912))\nprint('ran')\nx = np.zeros((len(fresh), 50, 4096 * 1000))\nprint('not reached')\n"
    )
    refused = run(kernel, cell)
    assert refused.ename == "CellRefused", refused.shown
    assert refused.stdout.strip() == "ran" and "not reached" not in refused.shown
    assert "NB101 refused: np.zeros((len(fresh), 50, 4096 * 1000))" in refused.traceback[0]
    assert "fresh has 47,912 items" in refused.traceback[0]
    assert "statements 1-2 of this cell already ran" in refused.traceback[0]
    suppressed = run(
        kernel,
        cell.replace("1000))\n", "1000))  # nblint: ignore[NB101]\n").replace(
            "x = np.zeros", "if len(fresh) < 0:\n    x = np.zeros"
        ),
    )
    assert suppressed.status == "ok" and "not reached" in suppressed.stdout, suppressed.shown
