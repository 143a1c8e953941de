"""NB701 outputs-committed, NB702 large-output and NB703 error-output through the real CLI, on notebooks
written to tmp_path: each option read from a pyproject.toml, json_line against the raw file, look-alikes,
and NB702's size measure against nbstripout's own `--max-size`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import check_notebook, json_findings, run_nblint, write_notebook

from nblint.rules.git.outputs import json_weight


def check(tmp_path, select: str, cells, config: str | None = None, *extra: str, notebook=None):
    return check_notebook(tmp_path, cells, select, *extra, config=config, notebook=notebook)


def raw_lines(tmp_path, start: int, count: int = 1) -> list[str]:
    return [
        line.strip()
        for line in (tmp_path / "nb.ipynb").read_text(encoding="utf-8").splitlines()[start - 1 : start - 1 + count]
    ]


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def image(size: int) -> dict:
    line = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5Erk"[:76] + "\n"
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": [line] * (size // len(line)), "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
    }


def error(ename: str, evalue: str) -> dict:
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": ["\x1b[0;31m----------\x1b[0m", f"\x1b[0;31m{ename}\x1b[0m: {evalue}"],
    }


RUN_CELLS = [
    "import numpy as np\n",
    {"execution_count": 1, "source": "print('hi')\n", "outputs": [stream("hi\n")]},
    {"cell_type": "markdown", "source": "# Results"},
    {"execution_count": 2, "source": "x = 1\n"},
]


# -- NB701 -----------------------------------------------------------------------------------------------


def test_outputs_are_not_reported_without_the_option_even_when_selected(tmp_path):
    assert check(tmp_path, "NB701", RUN_CELLS) == []


def test_outputs_are_not_reported_when_the_option_is_false(tmp_path):
    assert check(tmp_path, "NB701", RUN_CELLS, "require-clean-outputs = false\n") == []


def test_require_clean_outputs_reports_each_dirty_code_cell(tmp_path):
    findings = check(tmp_path, "NB701", RUN_CELLS, "require-clean-outputs = true\n")
    assert [(f["cell"], f["line"]) for f in findings] == [(1, None), (3, None)]
    assert "1 saved output and execution count 1" in findings[0]["message"]
    assert "execution count 2" in findings[1]["message"] and "saved output" not in findings[1]["message"]
    assert "nblint strip" in findings[0]["message"]
    # json_line: the cell's "outputs" key for the first, its "execution_count" for the count-only cell.
    assert raw_lines(tmp_path, findings[0]["json_line"]) == ['"outputs": [']
    assert raw_lines(tmp_path, findings[1]["json_line"]) == ['"execution_count": 2,']


def test_the_option_alone_switches_it_on_in_a_default_selection(tmp_path):
    # No --select: NB701 is in the default selection, silent until the option is set.
    (tmp_path / "pyproject.toml").write_text("[tool.nblint]\nrequire-clean-outputs = true\n", encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", RUN_CELLS)
    codes = [
        f["code"]
        for f in json_findings(run_nblint("check", "--no-cache", "--format", "json", "nb.ipynb", cwd=tmp_path))
    ]
    assert codes.count("NB701") == 2
    (tmp_path / "pyproject.toml").write_text("[tool.nblint]\n", encoding="utf-8")
    codes = [
        f["code"]
        for f in json_findings(run_nblint("check", "--no-cache", "--format", "json", "nb.ipynb", cwd=tmp_path))
    ]
    assert "NB701" not in codes


def test_per_file_ignores_exempt_notebooks_whose_outputs_are_the_point(tmp_path):
    config = 'require-clean-outputs = true\nper-file-ignores = { "docs/*.ipynb" = ["NB701"] }\n'
    (tmp_path / "pyproject.toml").write_text("[tool.nblint]\n" + config, encoding="utf-8")
    write_notebook(tmp_path / "docs" / "gallery.ipynb", RUN_CELLS)
    write_notebook(tmp_path / "analysis.ipynb", RUN_CELLS)
    findings = json_findings(
        run_nblint("check", "--no-cache", "--select", "NB701", "--format", "json", ".", cwd=tmp_path)
    )
    assert {f["path"] for f in findings} == {"analysis.ipynb"}


def test_cells_kept_by_nbstripout_markers_are_not_reported_for_outputs(tmp_path):
    cells = [
        {"source": "plot()\n", "metadata": {"tags": ["keep_output"]}, "outputs": [stream("ok\n")]},
        {"source": "plot()\n", "metadata": {"init_cell": True}, "outputs": [stream("ok\n")]},
        {"source": "plot()\n", "metadata": {"keep_output": False}, "outputs": [stream("ok\n")]},
    ]
    findings = check(tmp_path, "NB701", cells, "require-clean-outputs = true\n")
    assert [f["cell"] for f in findings] == [2]


def test_require_clean_outputs_rejects_a_non_boolean(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nrequire-clean-outputs = "yes"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", RUN_CELLS)
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert "require-clean-outputs" in result.stderr and "Traceback" not in result.stderr


# -- NB702 -----------------------------------------------------------------------------------------------


def test_large_image_is_reported_with_its_size_and_mime_type_at_the_output(tmp_path):
    cells = [
        "import matplotlib.pyplot as plt\n",
        {"execution_count": 1, "source": "plt.imshow(img)\n", "outputs": [stream("drawing\n"), image(1_300_000)]},
    ]
    [finding] = check(tmp_path, "NB702", cells)
    assert (finding["cell"], finding["line"]) == (1, None)
    assert finding["message"].startswith("output 2 (display_data) is 1.2 MiB (image/png 1.2 MiB, text/plain 33 B)")
    assert "over the 1.0 MiB limit" in finding["message"] and "save the figure to a file" in finding["message"]
    # json_line: the second output's opening brace, followed by its fields.
    lines = raw_lines(tmp_path, finding["json_line"], 3)
    assert lines[0] == "{" and lines[1] == '"data": {' and lines[2] == '"image/png": ['


@pytest.mark.slow  # several nblint runs in turn
def test_max_output_size_raises_and_lowers_the_limit(tmp_path):
    cells = [{"execution_count": 1, "source": "show()\n", "outputs": [image(300_000)]}]
    assert check(tmp_path, "NB702", cells) == []
    [finding] = check(tmp_path, "NB702", cells, 'max-output-size = "100 KiB"\n')
    assert "over the 100 KiB limit" in finding["message"]
    big = [{"execution_count": 1, "source": "show()\n", "outputs": [image(1_300_000)]}]
    assert check(tmp_path, "NB702", big, 'max-output-size = "2 MiB"\n') == []
    assert check(tmp_path, "NB702", big, 'max-output-size = "2000000 B"\n') == []  # bytes, with the unit said


def test_each_output_is_judged_alone(tmp_path):
    cells = [{"execution_count": 1, "source": "show()\n", "outputs": [image(600_000), image(600_000)]}]
    assert check(tmp_path, "NB702", cells) == []


def test_max_output_size_rejects_a_bad_value(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nmax-output-size = "huge"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", RUN_CELLS)
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2 and "max-output-size" in result.stderr and "Traceback" not in result.stderr


def test_size_is_nbstripouts_measure():
    output = {
        "output_type": "execute_result",
        "execution_count": 12,
        "metadata": {},
        "data": {"text/plain": ["ab", "cd"], "application/json": {"k": [1, "xyz"]}},
    }
    # every string value (keys not counted) plus the printed length of other scalars: 12 -> 2, 1 -> 1
    assert json_weight(output) == len("execute_result") + 2 + 4 + 1 + 3


@pytest.mark.slow  # runs nbstripout's own command
def test_nbstripout_max_size_removes_exactly_what_nb702_reports(tmp_path):
    nbstripout = shutil.which("nbstripout", path=str(__import__("pathlib").Path(sys.executable).parent))
    if nbstripout is None:
        pytest.skip("nbstripout is not installed in this environment")
    limit = 100_000
    sizes = [90_000, 110_000, 250_000, 99_000]
    cells = [
        {"execution_count": i + 1, "source": f"show({i})\n", "outputs": [image(size)]} for i, size in enumerate(sizes)
    ]
    # At the boundary: a stream weighs its text plus "stream" and "stdout" (12 characters).
    cells.append({"execution_count": 5, "source": "log()\n", "outputs": [stream("x" * (limit - 12))]})  # == limit: kept
    cells.append({"execution_count": 6, "source": "log()\n", "outputs": [stream("x" * (limit - 11))]})  # limit + 1
    findings = check(tmp_path, "NB702", cells, f'max-output-size = "{limit} B"\n')
    reported = {f["cell"] for f in findings}
    assert reported == {1, 2, 5}
    subprocess.run([nbstripout, "--keep-id", "--max-size", str(limit), str(tmp_path / "nb.ipynb")], check=True)
    stripped = json.loads((tmp_path / "nb.ipynb").read_text(encoding="utf-8"))
    emptied = {index for index, cell in enumerate(stripped["cells"]) if not cell["outputs"]}
    assert emptied == reported


# -- NB703 -----------------------------------------------------------------------------------------------


def test_saved_traceback_is_reported_with_name_and_value_at_the_output(tmp_path):
    cells = [
        "x = 0\n",
        {"execution_count": 2, "source": "1 / x\n", "outputs": [error("ZeroDivisionError", "division by zero")]},
    ]
    [finding] = check(tmp_path, "NB703", cells)
    assert (finding["cell"], finding["line"], finding["severity"]) == (1, None, "warning")
    assert "ZeroDivisionError: division by zero" in finding["message"] and "raises-exception" in finding["message"]
    lines = raw_lines(tmp_path, finding["json_line"], 2)
    assert lines == ["{", '"ename": "ZeroDivisionError",']


def test_expected_errors_and_printed_tracebacks_are_not_reported(tmp_path):
    cells = [
        {
            "execution_count": 1,
            "source": "1 / 0\n",
            "metadata": {"tags": ["raises-exception"]},
            "outputs": [error("ZeroDivisionError", "division by zero")],
        },
        {
            "execution_count": 2,
            "source": "traceback.print_exc()\n",
            "outputs": [{"output_type": "stream", "name": "stderr", "text": ["Traceback (most recent call last):\n"]}],
        },
    ]
    assert check(tmp_path, "NB703", cells) == []


def test_every_error_output_of_a_notebook_is_reported(tmp_path):
    cells = [
        {"execution_count": i, "source": "f()\n", "outputs": [error("NameError", f"name 'f{i}' is not defined")]}
        for i in range(1, 4)
    ]
    findings = check(tmp_path, "NB703", cells)
    assert [f["cell"] for f in findings] == [0, 1, 2]
    assert "name 'f3' is not defined" in findings[2]["message"]


def test_error_value_is_one_line_without_colours_and_cut(tmp_path):
    cells = [
        {
            "execution_count": 1,
            "source": "f()\n",
            "outputs": [error("ValueError", "\x1b[1mline one\nline two " + "y" * 300)],
        }
    ]
    [finding] = check(tmp_path, "NB703", cells)
    assert "ValueError: line one line two yyy" in finding["message"]
    assert "\x1b" not in finding["message"] and "y" * 150 not in finding["message"]


@pytest.mark.slow  # nbformat's upgrade and validator
def test_error_outputs_of_an_nbformat3_notebook_point_into_its_worksheet(tmp_path):
    notebook = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["1/0"],
                        "language": "python",
                        "metadata": {},
                        "prompt_number": 1,
                        "outputs": [
                            {
                                "output_type": "pyerr",
                                "ename": "ZeroDivisionError",
                                "evalue": "integer division or modulo by zero",
                                "traceback": ["ZeroDivisionError: integer division or modulo by zero"],
                            }
                        ],
                    }
                ],
                "metadata": {},
            }
        ],
    }
    [finding] = check(tmp_path, "NB703", (), notebook=notebook)
    assert finding["cell"] == 0 and "ZeroDivisionError: integer division or modulo by zero" in finding["message"]
    assert raw_lines(tmp_path, finding["json_line"], 2) == ["{", '"ename": "ZeroDivisionError",']
