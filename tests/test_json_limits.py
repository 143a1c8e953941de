"""Notebook JSON that Python's own reader (and so Jupyter) cannot take: an integer of more than 4,300
digits, nesting near 1,000 levels, lists where strings belong. Each is a finding naming where, in
`check`, `strip` over a folder and `strip --stdin`, and the other notebooks of the run go on."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import json_findings, run_nblint, write_notebook

from nblint.testing import make_notebook, notebook_text

LIMIT = getattr(sys, "get_int_max_str_digits", lambda: 0)()
needs_limit = pytest.mark.skipif(not LIMIT, reason="this interpreter has no limit on integer digits")


def huge_integer_notebook(path, where: str = "metadata"):
    data = make_notebook(["x = 1\n"], {"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    data["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    data["cells"][0]["execution_count"] = 1
    if where == "metadata":
        data["metadata"]["seed"] = "PLACEHOLDER"
    else:
        data["cells"][0]["metadata"]["seed"] = "PLACEHOLDER"
    path.write_text(notebook_text(data).replace('"PLACEHOLDER"', "7" * (LIMIT + 1)), encoding="utf-8")
    return path


def deep_notebook(path, levels: int, key: str = "metadata"):
    data = make_notebook(["while True:\n    pass\n"])
    data["metadata"]["deep"] = "PLACEHOLDER"
    path.write_text(notebook_text(data).replace('"PLACEHOLDER"', "[" * levels + "]" * levels), encoding="utf-8")
    return path


@needs_limit
def test_huge_integer_is_nb002_naming_the_key_and_the_run_goes_on(tmp_path):
    huge_integer_notebook(tmp_path / "a.ipynb", "metadata")
    huge_integer_notebook(tmp_path / "c.ipynb", "cell")
    write_notebook(tmp_path / "b.ipynb", ["while True:\n    pass\n"])
    result = run_nblint("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    findings = json_findings(result)
    assert result.returncode == 1
    assert [(f["path"], f["code"]) for f in findings] == [
        ("a.ipynb", "NB002"),
        ("b.ipynb", "NB201"),
        ("c.ipynb", "NB002"),
    ]
    for finding, named in zip(findings[::2], ["metadata.seed", "cells[0].metadata.seed"]):
        assert f"{LIMIT + 1:,} digits at {named}" in finding["message"]
        line = (tmp_path / finding["path"]).read_text().splitlines()[finding["line"] - 1]
        assert '"seed"' in line


@needs_limit
@pytest.mark.slow  # strip of a folder and --stdin
def test_strip_reports_a_huge_integer_by_name_and_strips_the_others(tmp_path):
    huge = huge_integer_notebook(tmp_path / "a.ipynb")
    before = huge.read_bytes()
    other = write_notebook(
        tmp_path / "b.ipynb",
        [{"cell_type": "code", "source": "1", "execution_count": 4, "metadata": {}, "outputs": []}],
    )
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "a.ipynb: not a notebook Jupyter can read: an integer of" in result.stderr
    assert "at metadata.seed" in result.stderr
    assert huge.read_bytes() == before
    assert json.loads(other.read_text())["cells"][0]["execution_count"] is None

    piped = run_nblint("strip", "--stdin", cwd=tmp_path, input=before.decode())
    assert piped.returncode == 2
    assert piped.stdout == before.decode()  # a clean filter always writes a whole notebook
    assert "<stdin>: not a notebook Jupyter can read" in piped.stderr and "Traceback" not in piped.stderr


def test_json_nested_beyond_pythons_reader_is_nb004_with_its_path(tmp_path):
    deep_notebook(tmp_path / "deep.ipynb", 2_000)  # json.loads reads it on nblint's deep stack
    deep_notebook(tmp_path / "deeper.ipynb", 200_000)  # json.loads gives up even there
    write_notebook(tmp_path / "ok.ipynb", ["while True:\n    pass\n"])
    result = run_nblint("check", "--no-cache", "--format", "json", ".", cwd=tmp_path, timeout=60)
    findings = json_findings(result)
    assert [(f["path"], f["code"]) for f in findings] == [
        ("deep.ipynb", "NB004"),
        ("deeper.ipynb", "NB004"),
        ("ok.ipynb", "NB201"),
    ]
    for deep in findings[:2]:
        assert "nested more than 990 levels deep at metadata.deep[0][0]...[0]" in deep["message"]


def test_nesting_jupyter_reads_is_not_reported(tmp_path):
    deep_notebook(tmp_path / "deep.ipynb", 500)
    result = run_nblint(
        "check", "--no-cache", "--format", "json", "--select", "NB002,NB004,NB000,NB201", "deep.ipynb", cwd=tmp_path
    )
    assert [f["code"] for f in json_findings(result)] == ["NB201"]


def test_a_list_where_a_string_belongs_is_nb004_not_an_internal_error(tmp_path):
    edits = {
        "a.ipynb": (lambda cell: cell.update(cell_type=["code"]), "cells[0].cell_type"),
        "b.ipynb": (
            lambda cell: cell.update(outputs=[{"output_type": ["stream"], "name": "stdout", "text": "x"}]),
            "cells[0].outputs[0]",
        ),
    }
    for name, (edit, _) in edits.items():
        data = make_notebook(["x = 1\n"])
        edit(data["cells"][0])
        write_notebook(tmp_path / name, notebook=data)
    result = run_nblint("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    findings = json_findings(result)
    assert [(f["path"], f["code"]) for f in findings] == [("a.ipynb", "NB004"), ("b.ipynb", "NB004")], findings
    for finding in findings:
        assert edits[finding["path"]][1] in finding["message"]
