"""Magic masking, cell magics, the joined program's line map, and the notebook-level symbol table."""

from __future__ import annotations

import libcst as cst
import pytest
from conftest import json_findings, run_nblint, write_notebook

from nblint.core.code.context import CodeContext
from nblint.core.code.program import build_program
from nblint.core.code.symbols import UNKNOWN
from nblint.core.read.notebook import read_notebook


def _program(tmp_path, cells, metadata=None):
    notebook = read_notebook(write_notebook(tmp_path / "p.ipynb", cells, metadata))
    return notebook, build_program(notebook)


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "!pip install numpy",
        "files = !ls -la",
        "a, b = %sx ls",
        "df.head?",
        "np.zeros??",
        "?np.zeros",
        "pip install pandas==2.2.3",
        "cd ..",
    ],
)
def test_ipython_lines_are_masked_and_kept(tmp_path, line):
    notebook, program = _program(tmp_path, [f"import numpy as np\n{line}\nx = 1\n"])
    assert program.syntax_errors == []
    assert [(m.cell, m.line, m.text) for m in notebook.magic_lines] == [(0, 2, line.strip())]
    assert program.cells[0].text.count("\n") == 3  # line for line


def test_indented_magic_in_a_block(tmp_path):
    notebook, program = _program(tmp_path, ["if True:\n    !echo indented\n"])
    assert program.syntax_errors == []
    assert program.cells[0].text.splitlines()[1] == "    pass"
    assert (notebook.magic_lines[0].line, notebook.magic_lines[0].column) == (2, 5)


def test_assigned_magic_keeps_the_binding(tmp_path):
    _, program = _program(tmp_path, ["files = !ls\nprint(files)\n"])
    assert program.cells[0].text.splitlines()[0] == "files = None"


def test_percent_inside_a_string_stays_when_the_cell_parses(tmp_path):
    notebook, program = _program(tmp_path, ['template = """\n%(name)s is here\n!important\n"""\n'])
    assert notebook.magic_lines == []
    assert "%(name)s" in program.cells[0].text


def test_magic_continuation_lines_are_masked_with_it(tmp_path):
    notebook, program = _program(tmp_path, ["!tf_upgrade_v2 \\\n  --infile a.py \\\n  --outfile b.py\nx = 1\n"])
    assert program.syntax_errors == []
    assert notebook.magic_lines[0].text == "!tf_upgrade_v2 --infile a.py --outfile b.py"


def test_python_cell_magics_are_analysed_others_skipped(tmp_path):
    notebook, program = _program(
        tmp_path,
        ["%%time\nx = sum(range(10))\n", "%%bash\nfor f in *; do echo $f; done\n", "%%writefile a.py\nprint 'py2'\n"],
    )
    assert program.syntax_errors == []
    assert [c.cell.index for c in program.cells] == [0]
    assert program.cells[0].text.splitlines() == ["", "x = sum(range(10))"]


def test_syntax_error_leaves_the_other_cells_analysed(tmp_path):
    _, program = _program(tmp_path, ["x = 1\n", "def f(:\n", "y = 2\n"])
    assert [(e.cell.index, e.line) for e in program.syntax_errors] == [(1, 1)]
    assert [c.cell.index for c in program.cells] == [0, 2]
    assert program.module is not None


def test_line_map_back_to_cells(tmp_path):
    _, program = _program(tmp_path, ["a = 1\nb = 2\n", {"cell_type": "markdown", "source": "# hi"}, "c = 3\n\nd = 4\n"])
    assert program.locate(1)[0].cell.index == 0 and program.locate(2)[1] == 2
    cell, line = program.locate(5)
    assert cell.cell.index == 2 and line == 3


def test_leading_indent_is_stripped_as_ipython_does(tmp_path):
    _, program = _program(tmp_path, ["    x = 1\n    y = x + 1\n"])
    assert program.syntax_errors == [] and program.cells[0].dedent == 4


def test_pep_701_fstrings_are_not_syntax_errors(tmp_path):
    _, program = _program(tmp_path, ['d = {"a": 1}\nprint(f"{d["a"]}")\n'])
    assert program.syntax_errors == []


def test_python_312_syntax_is_judged_by_libcsts_grammar(tmp_path):
    # `type` statements and type parameters (PEP 695) are newer than the Python 3.11 `ast` may be
    _, program = _program(tmp_path, ["type Vector = list[float]\nclass Box[T]:\n    item: T\n", "x = 1\n"])
    assert program.syntax_errors == [] and len(program.cells) == 2 and program.module is not None


@pytest.mark.parametrize(
    "source, stripped",
    [
        (">>> x = 1\n>>> if x:\n...     y = 2\n...\n", "x = 1\nif x:\n    y = 2\n\n"),
        ("\n>>> print(1)\n1\n", "\nprint(1)\n1\n"),  # leading blank lines do not hide the prompt
        (
            "In [1]: x = 1\n\nIn [2]: for i in range(x):\n   ...:     print(i)\n",
            "x = 1\n\nfor i in range(x):\n    print(i)\n",
        ),
    ],
)
def test_pasted_session_prompts_are_stripped_as_ipython_does(tmp_path, source, stripped):
    _, program = _program(tmp_path, [source])
    assert program.syntax_errors == []
    assert program.cells[0].text == stripped


def test_a_prompt_after_the_second_line_is_a_syntax_error(tmp_path):
    # IPython looks for a session on the first two lines only; the third line's `>>>` stays and fails
    _, program = _program(tmp_path, ["x = 1\ny = 2\n>>> z = 3\n"])
    assert [(p.line, p.column) for p in program.syntax_errors] == [(3, 1)]


def test_findings_in_a_pasted_session_point_at_the_code_after_the_prompt(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [">>> n = 0\n>>> while True:\n...     n += 1\n"])
    result = run_nblint("check", "--no-cache", "--select", "NB201,NB001", "--format", "json", str(path))
    findings = json_findings(result)
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("NB201", 2, 5)], findings


def _context(tmp_path, cells):
    _, program = _program(tmp_path, cells)
    return CodeContext(program.module), program.module


def _last_expression(module):
    statement = module.body[-1].body[0]
    return statement.value


def test_constants_across_cells(tmp_path):
    context, module = _context(
        tmp_path, ["import numpy as numeric\n", "N = 100_000\nM = 10**5\nK = 2 * N\n", "(N, M, K, 1e4)\n"]
    )
    assert context.evaluate(_last_expression(module)) == (100_000, 100_000, 200_000, 10_000.0)


def test_constant_assigned_twice_with_different_values_is_unknown(tmp_path):
    context, module = _context(tmp_path, ["N = 10\n", "N = 20\n", "N\n"])
    assert context.evaluate(_last_expression(module)) is UNKNOWN
    context, module = _context(tmp_path, ["N = 10\n", "N = 10\n", "N\n"])
    assert context.evaluate(_last_expression(module)) == 10
    context, module = _context(tmp_path, ["N = 10\n", "N += 1\n", "N\n"])
    assert context.evaluate(_last_expression(module)) is UNKNOWN
    context, module = _context(tmp_path, ["for N in range(3):\n    pass\n", "N\n"])
    assert context.evaluate(_last_expression(module)) is UNKNOWN


def test_aliases(tmp_path):
    context, module = _context(
        tmp_path,
        [
            "import numpy as numeric\nfrom numpy import ones\nimport torch.nn\n",
            "(numeric.zeros, ones, torch.nn.Linear)\n",
        ],
    )
    names = [context.qualified_name(e.value) for e in _last_expression(module).elements]
    assert names == ["numpy.zeros", "numpy.ones", "torch.nn.Linear"]
    context, module = _context(tmp_path, ["import numpy as np\n", "np = None\n", "np.zeros\n"])
    assert context.qualified_name(_last_expression(module)) is None


def test_function_parameters_shadow_constants_and_aliases(tmp_path):
    cells = ["import numpy as np\nN = 10**6\n", "def f(N, np):\n    return (N, np.zeros)\n"]
    _, program = _program(tmp_path, cells)
    context = CodeContext(program.module)
    seen = {}

    class Probe(cst.BatchableCSTVisitor):
        def visit_Return(self, node):
            seen["value"] = context.evaluate(node.value.elements[0].value)
            seen["name"] = context.qualified_name(node.value.elements[1].value)

    cst.visit_batched(program.module, [context.scopes, Probe()])
    assert seen == {"value": UNKNOWN, "name": None}


def test_huge_power_is_not_evaluated(tmp_path):
    context, module = _context(tmp_path, ["10**10**10\n"])
    assert context.evaluate(_last_expression(module)) is UNKNOWN


def test_a_cell_cache_reparses_only_what_changed_and_finds_what_the_joined_parse_finds(tmp_path):
    from nblint.core.code.program import CellCache
    from nblint.run.config import ConfigResolver
    from nblint.run.pipeline import analyse

    loop = "while True:\n    i = 1\n"
    cells = [
        "import numpy as np\nN = 100_000\n",
        loop,
        {"cell_type": "markdown", "source": "# x\n"},
        loop,
        "  x = np.zeros((N, N))\n%time y = 1\n",
    ]
    path = write_notebook(tmp_path / "cached.ipynb", cells)
    settings = ConfigResolver().for_path(path)

    def findings(cache):
        return sorted(
            (f.code, f.cell, f.line, f.column, f.end_line, f.end_column, f.message)
            for f in analyse(read_notebook(path), settings.enabled, settings.options, str(path), cells=cache)
        )

    expected = findings(None)
    assert {(code, cell) for code, cell, *_ in expected} >= {("NB201", 1), ("NB201", 3), ("NB101", 4)}
    cache = CellCache()
    assert findings(cache) == expected
    first = build_program(read_notebook(path), cells=cache)
    assert findings(cache) == expected  # and again, from the cache
    # two cells with the same text get two parses: each node belongs to one place of the program
    assert first.cells[1].parsed is not first.cells[2].parsed
    # an edit of one cell: the other cells' parses are reused
    write_notebook(path, [cells[0].replace("100_000", "10"), *cells[1:]])
    second = build_program(read_notebook(path), cells=cache)
    assert second.cells[0].parsed is not first.cells[0].parsed
    assert [c.parsed for c in second.cells[1:]] == [c.parsed for c in first.cells[1:]]
    assert "NB101" not in {code for code, *_ in findings(cache)}
