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
