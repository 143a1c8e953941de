"""Suppressions filter findings after the rules run: per line, per cell, per notebook."""

from __future__ import annotations

import pytest
from conftest import json_findings, run_nblint, write_notebook


def _cells(tmp_path, cells, metadata=None):
    path = write_notebook(tmp_path / "s.ipynb", cells, metadata)
    return [(f["code"], f["cell"]) for f in json_findings(run_nblint("check", "--format", "json", str(path)))]


@pytest.mark.slow  # several nblint runs in turn
def test_line_suppressions(tmp_path):
    assert _cells(tmp_path, ["print 'a'  # nblint: ignore[NB001]\n"]) == []
    assert _cells(tmp_path, ["print 'a'  # noqa: NB001\n"]) == []
    assert _cells(tmp_path, ["print 'a'  # noqa\n"]) == []
    assert _cells(tmp_path, ["print 'a'  # nblint: ignore\n"]) == []
    # another code, or the comment on another line, does not suppress
    assert _cells(tmp_path, ["print 'a'  # noqa: NB101\n"]) == [("NB001", 0)]
    assert _cells(tmp_path, ["# nblint: ignore[NB001]\nprint 'a'\n"]) == [("NB001", 0)]
    # unknown codes are not an error
    assert _cells(tmp_path, ["print 'a'  # nblint: ignore[NB999, NB001]\n"]) == []


@pytest.mark.slow  # several nblint runs in turn
def test_cell_suppressions_by_comment_and_tag(tmp_path):
    assert _cells(tmp_path, ["# nblint: ignore-cell[NB001]\nx = 1\nprint 'a'\n", "print 'b'\n"]) == [("NB001", 1)]
    assert _cells(tmp_path, ["# nblint: ignore-cell\nprint 'a'\n"]) == []
    tagged = {"cell_type": "code", "source": "print 'a'\n", "metadata": {"tags": ["nblint-ignore[NB001]"]}}
    assert _cells(tmp_path, [tagged, "print 'b'\n"]) == [("NB001", 1)]
    tagged_all = {"cell_type": "code", "source": "print 'a'\n", "metadata": {"tags": ["nblint-ignore"]}}
    assert _cells(tmp_path, [tagged_all]) == []


def test_notebook_suppression_in_metadata(tmp_path):
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}, "nblint": {"ignore": ["NB001"]}}
    assert _cells(tmp_path, ["print 'a'\n"], metadata) == []


def test_prefixes_suppress_the_codes_they_select_as_in_the_configuration(tmp_path):
    tagged = {"cell_type": "code", "source": "while True:\n    pass\n", "metadata": {"tags": ["nblint-ignore[NB2]"]}}
    cells = [
        "while True:  # nblint: ignore[NB2]\n    pass\n",
        "while True:  # noqa: NB20\n    pass\n",
        "# nblint: ignore-cell[NB2]\nwhile True:\n    pass\n",
        tagged,
        "while True:  # nblint: ignore[NB1, NB2011]\n    pass\n",  # another family, a longer code: not covered
    ]
    assert _cells(tmp_path, cells) == [("NB201", 4)]
    assert _cells(tmp_path, cells, {"nblint": {"ignore": ["NB2"]}}) == []


def _run(tmp_path, metadata, *extra):
    path = write_notebook(tmp_path / "s.ipynb", ["while True:\n    pass\n"], metadata)
    return run_nblint("check", "--format", "json", *extra, str(path), cwd=tmp_path)


def test_a_string_in_the_metadata_ignore_is_honoured_with_a_warning_naming_the_notebook(tmp_path):
    for extra in ((), ()):  # the second run is served from the cache, and warns all the same
        result = _run(tmp_path, {"nblint": {"ignore": "NB201"}}, *extra)
        assert json_findings(result) == [] and result.returncode == 0
        assert result.stderr == (
            f'nblint: warning: {tmp_path / "s.ipynb"}: metadata "nblint": "ignore" is the string \'NB201\', '
            'not a list; honoured as ["NB201"], which is how to write it\n'
        )
    assert list((tmp_path / ".nblint_cache").rglob("*.json"))  # the second run did read the cache


def test_metadata_ignore_nblint_cannot_read_is_a_warning_and_suppresses_nothing(tmp_path):
    for metadata, what in (
        ({"nblint": {"ignore": 201}}, '"ignore" is a number'),
        ({"nblint": {"ignore": [201]}}, '"ignore" is a list holding something other than codes'),
        ({"nblint": ["NB201"]}, 'metadata "nblint" is a list'),
    ):
        result = _run(tmp_path, metadata, "--no-cache")
        assert [f["code"] for f in json_findings(result)] == ["NB201"] and result.returncode == 1
        assert result.stderr.count("\n") == 1 and what in result.stderr and "s.ipynb" in result.stderr
        assert "nothing suppressed" in result.stderr
