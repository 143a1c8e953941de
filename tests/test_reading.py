"""Reading notebooks: every kind of bad input gets one clear finding or exit code, never a traceback,
and nothing is ever written to the file."""

from __future__ import annotations

import json
import os

import pytest
from conftest import run_nblint, write_notebook


def _snapshot(path):
    stat = os.stat(path)
    return path.read_bytes(), stat.st_mtime_ns, stat.st_mode


def _check_json(*paths, cwd=None, select="NB0"):
    """The reading family alone (NB0xx): other rules have their own tests."""
    result = run_nblint("check", "--format", "json", "--select", select, *map(str, paths), cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout) if result.stdout.strip() else []


BAD_FILES = {
    "empty": (b"", "NB002", "empty"),
    "whitespace": (b"  \n\n", "NB002", "empty"),
    "binary": (bytes(range(256)) * 4, "NB002", None),
    "not-utf8": (b'{"cells": [], "metadata": {"x": "caf\xe9"}, "nbformat": 4, "nbformat_minor": 5}', "NB002", "UTF-8"),
    "truncated": (b'{"cells": [\n  {"cell_type": "code",\n', "NB002", "line 3"),
    "top-level-list": (b"[1, 2, 3]\n", "NB004", "array"),
    "no-version": (b'{"cells": []}\n', "NB004", "nbformat"),
    "cells-not-a-list": (
        b'{"cells": {"a": 1}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n',
        "NB004",
        "cells",
    ),
    "source-is-a-number": (
        json.dumps(
            {
                "cells": [{"cell_type": "code", "source": 42, "metadata": {}, "outputs": [], "execution_count": None}],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 4,
            }
        ).encode(),
        "NB004",
        "source",
    ),
    "source-list-of-numbers": (
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "source": ["x = 1\n", 7],
                        "metadata": {},
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 4,
            }
        ).encode(),
        "NB004",
        "source",
    ),
    "deep-json": (b"[" * 100_000 + b"]" * 100_000, "NB004", "array"),
    "deep-json-object": (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "NB004", "nbformat"),
}


# One of each kind in the quick run (empty, broken JSON, JSON that is not a notebook); the rest run with
# the slow tests: a second or more each on a busy machine (nbformat's validator, JSON nested 100,000 deep).
QUICK_BAD_FILES = {"empty", "truncated", "top-level-list"}


@pytest.mark.parametrize(
    "name", [name if name in QUICK_BAD_FILES else pytest.param(name, marks=pytest.mark.slow) for name in BAD_FILES]
)
def test_bad_file_is_one_finding_and_left_untouched(tmp_path, name):
    raw, code, words = BAD_FILES[name]
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(raw)
    before = _snapshot(path)
    result, findings = _check_json(path)
    assert result.returncode == 1, result.stderr
    assert [f["code"] for f in findings] == [code]
    assert findings[0]["path"] == str(path)
    if words:
        assert words in findings[0]["message"]
    assert _snapshot(path) == before
    text = run_nblint("check", "--select", "NB0", str(path))
    assert text.stdout.count(str(path)) == 1  # one line naming the file
    assert "(1 checked, 1 unreadable)" in text.stdout
    assert "Traceback" not in text.stderr


def test_one_broken_file_never_stops_the_run(tmp_path, nb):
    (tmp_path / "a_broken.ipynb").write_text("{not json")
    nb(["print 'py2'\n"], name="b_syntax.ipynb")
    nb(["x = 1\n"], name="c_clean.ipynb")
    result, findings = _check_json(tmp_path)
    assert result.returncode == 1
    assert [(os.path.basename(f["path"]), f["code"]) for f in findings] == [
        ("a_broken.ipynb", "NB002"),
        ("b_syntax.ipynb", "NB001"),
    ]


@pytest.mark.slow  # several nblint runs in turn
def test_missing_path_is_exit_2_and_the_others_are_still_checked(tmp_path, nb):
    good = nb(["print 'x'\n"])
    result = run_nblint("check", str(tmp_path / "nope.ipynb"), str(good))
    assert result.returncode == 2
    assert "nope.ipynb: no such file or folder" in result.stderr
    assert "NB001" in result.stdout
    assert "Traceback" not in result.stderr
    alone = run_nblint("check", str(tmp_path / "nope.ipynb"))
    assert alone.returncode == 2 and alone.stdout == "" and alone.stderr.count("\n") == 1


@pytest.mark.slow  # several nblint runs in turn
def test_folder_without_notebooks_warns_and_exits_0(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    result = run_nblint("check", str(tmp_path / "empty"))
    assert result.returncode == 0
    assert "no notebooks found" in result.stderr
    assert result.stdout == "No notebooks found to check.\n"


def test_merge_conflict_names_the_line(tmp_path):
    path = tmp_path / "conflict.ipynb"
    path.write_text(
        '{\n "cells": [],\n<<<<<<< HEAD\n "metadata": {},\n=======\n "metadata": {"a": 1},\n>>>>>>> other\n "nbformat": 4\n}\n'
    )
    result, findings = _check_json(path)
    assert [f["code"] for f in findings] == ["NB003"]
    assert findings[0]["line"] == 3 and findings[0]["json_line"] == 3
    assert "line 3" in findings[0]["message"]


def test_conflict_markers_inside_a_string_are_not_a_merge_conflict(tmp_path, nb):
    path = nb(['text = """\n<<<<<<< HEAD\n"""\n'])
    result, findings = _check_json(path)
    assert findings == []


@pytest.mark.slow  # a notebook of megabytes on one line
def test_huge_single_line_notebook(tmp_path):
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": [f"x{i} = {i}\n", "print x\n" if i == 4000 else "y = 1\n"],
        }
        for i in range(5000)
    ]
    path = tmp_path / "one_line.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}))
    assert path.read_text().count("\n") == 0
    result, findings = _check_json(path)
    assert [(f["code"], f["cell"], f["line"], f["json_line"]) for f in findings] == [("NB001", 4000, 2, 1)]


def test_2000_term_expression_is_set_aside_without_overflowing(tmp_path, nb):
    # libcst's parse is quadratic in such chains (13 s for one in a Kaggle notebook): past 1,000 terms the
    # statement is left out (NB005) and the rest is analysed
    expression = "pixels = [255]*8" + "".join(f"+[{i % 250}]" for i in range(2000)) + "\n"
    path = nb(["import numpy as np\n", expression, "print 'after'\n"])
    result, findings = _check_json(path)
    assert result.returncode == 1
    assert [(f["code"], f["cell"]) for f in findings] == [("NB005", 1), ("NB001", 2)]
    assert "a chain of 2,002 operands" in findings[0]["message"]  # 2,001 operators: the `*` counts too


@pytest.mark.slow  # brackets nested 1,000 deep
def test_brackets_nested_1000_deep_are_a_syntax_error_of_that_cell(tmp_path, nb):
    path = nb(["x = 1\n", "y = " + "[" * 1000 + "]" * 1000 + "\n"])
    result, findings = _check_json(path)
    assert [(f["code"], f["cell"]) for f in findings] == [("NB001", 1)]
    assert "nested" in findings[0]["message"]


@pytest.mark.slow  # nbformat's upgrade and validator
def test_nbformat_3_notebook_is_upgraded_in_memory_only(tmp_path):
    v3 = {
        "metadata": {"name": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": ["# Title"]},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["x = 1\n", "print 'hi'"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                    },
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3, indent=1))
    before = _snapshot(path)
    result, findings = _check_json(path, select="NB001")
    codes = [(f["code"], f["cell"], f["line"]) for f in findings]
    assert ("NB001", 1, 2) in codes
    nb001 = next(f for f in findings if f["code"] == "NB001")
    assert "print 'hi'" in path.read_text().splitlines()[nb001["json_line"] - 1]
    assert _snapshot(path) == before


@pytest.mark.slow  # nbformat's validator
def test_schema_violation_is_reported_and_the_notebook_still_analysed(tmp_path):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Kaggle export", "outputs": []},
            {"cell_type": "code", "metadata": {}, "source": "print 'x'\n", "outputs": [], "execution_count": None},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    path = write_notebook(tmp_path / "kaggle.ipynb", notebook=notebook)
    result, findings = _check_json(path)
    assert sorted(f["code"] for f in findings) == ["NB001", "NB004"]
    nb004 = next(f for f in findings if f["code"] == "NB004")
    assert "cells[0]" in nb004["message"] and nb004["cell"] is None
    # json_line is the line that opens the object the message names (cells[0], the markdown cell)
    lines = path.read_text().splitlines()
    assert lines[nb004["json_line"] - 1].strip() == "{"
    assert lines[nb004["json_line"]].strip() == '"cell_type": "markdown",'


def test_schema_messages_count_cells_from_1_and_keep_the_json_path(tmp_path):
    cells = [{"cell_type": "code", "source": "x = 1\n", "metadata": {}, "outputs": [], "execution_count": None}] * 18
    broken = {"cell_type": "code", "source": 42, "metadata": {}, "outputs": [], "execution_count": None}
    path = tmp_path / "nineteenth.ipynb"
    path.write_text(json.dumps({"cells": [*cells, broken], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}))
    result, findings = _check_json(path)
    assert [f["code"] for f in findings] == ["NB004"]
    assert "at cell 19 (cells[18].source): " in findings[0]["message"], findings[0]["message"]
    assert "cell 18 " not in findings[0]["message"]


def test_non_python_notebooks_are_not_parsed(tmp_path, nb):
    path = nb(
        ["x <- c(1, 2, 3)\nprint(x)\n"],
        metadata={"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}, "language_info": {"name": "R"}},
    )
    result, findings = _check_json(path)
    assert findings == [] and result.returncode == 0


def test_unreadable_file_is_reported_once(tmp_path):
    path = tmp_path / "locked.ipynb"
    path.write_text("{}")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        result, findings = _check_json(path)
        assert [f["code"] for f in findings] == ["NB002"]
        assert "cannot read" in findings[0]["message"]
    finally:
        path.chmod(0o644)
