"""A big notebook is parsed cell by cell (nblint.core.read.cellwise): the findings are those of the
whole-file read, to the line, for good files and broken ones; and its peak memory stays under twice
the file (issue 19: 3.0x for 200 MB of images before)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, REPO

from nblint.core.deepstack import call_with_deep_stack
from nblint.core.read import cellwise
from nblint.core.read.files import HandedBytes, read_regular_buffer
from nblint.integrations.strip import NotStrippable, strip_notebook
from nblint.rules import ALL_RULES
from nblint.run.pipeline import check_file
from nblint.run.strip_options import StripOptions
from nblint.testing import make_notebook, notebook_text

EVERY_RULE = frozenset(ALL_RULES)


def _findings(path: Path) -> list[tuple]:
    result = call_with_deep_stack(check_file, path, EVERY_RULE, {})
    return sorted(
        (f.code, f.message, f.cell, f.line, f.column, f.end_line, f.end_column, f.json_line) for f in result.findings
    )


def _both_ways(path: Path, monkeypatch) -> tuple[list, list, int]:
    """(findings read whole, findings read cell by cell, times the cellwise read was used)."""
    whole = _findings(path)
    used = []
    load = cellwise.load_cellwise

    def counted(buffer):
        loaded = load(buffer)
        used.append(loaded is not None)
        return loaded

    with monkeypatch.context() as patch:
        patch.setattr(cellwise, "CELLWISE_FROM", 0)
        patch.setattr(cellwise, "load_cellwise", counted)
        by_cell = _findings(path)
    return whole, by_cell, sum(used)


def _cell(source: str, **fields) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None, **fields}


def _good(markdown: str = "## Ünïcode ✓\n") -> str:
    return notebook_text(
        make_notebook(
            [
                "import numpy as np\nx = np.random.rand(100000, 100000)\n",
                {"cell_type": "markdown", "source": markdown},
                "while True:\n    pass\n",
            ]
        )
    )


def _conflicted(text: str) -> str:
    """Conflict markers at the start of the line where the second cell's first key stands."""
    key = text.index('"cell_type"', text.index('"cell_type"') + 1)
    line_start = text.rindex("\n", 0, key) + 1
    return text[:line_start] + "<<<<<<< HEAD\n=======\n>>>>>>> other\n" + text[line_start:]


GOOD = _good()
LOOK_ALIKES = {
    # read cell by cell
    "good": GOOD,
    "with a byte-order mark": "\ufeff" + GOOD,
    "one line": json.dumps(json.loads(GOOD)),
    "tabs and CRLF": json.dumps(json.loads(GOOD), indent="\t").replace("\n", "\r\n"),
    "no cells": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "brackets and quotes in strings": _good('## [{"a": "]}\\\\", \'[\'\n'),
    "a lone surrogate escape": GOOD.replace("## Ünïcode", "\\ud800", 1),
    # read whole, as the shape is not the common one or a cell does not parse
    "cells twice": GOOD.replace("{", '{"cells": [],', 1),
    "a cell is a list": GOOD.replace('"cells": [', '"cells": [[1, 2], ', 1),
    "not JSON in a cell": GOOD.replace('"execution_count": null', '"execution_count": nul', 1),
    "a big integer in a cell": GOOD.replace('"execution_count": null', '"execution_count": ' + "9" * 5000, 1),
    "a merge conflict in a cell": _conflicted(GOOD),
    "nested too deep in a cell": GOOD.replace(
        '"metadata": {}', '"metadata": {"a": ' + "[" * 2000 + "]" * 2000 + "}", 1
    ),
    "nbformat 3": json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1\n", "outputs": [], "language": "python"}]}],
        }
    ),
    "top level is a list": "[1, 2, 3]",
    "trailing garbage": GOOD + "}",
    "cells is not an array": '{"cells": {}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "a top-level string of 20,000 characters": GOOD.replace("{", '{"note": "' + "n" * 20_000 + '", ', 1),
}
CELLWISE = 7  # the first seven are read cell by cell


@pytest.mark.parametrize("name", list(LOOK_ALIKES))
def test_cell_by_cell_finds_what_the_whole_read_finds(tmp_path, monkeypatch, name):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(LOOK_ALIKES[name].encode("utf-8", "surrogatepass"))
    whole, by_cell, used = _both_ways(path, monkeypatch)
    assert by_cell == whole
    if name != "nested too deep in a cell":  # parsed cell by cell or not, as the recursion limit allows
        assert used == (list(LOOK_ALIKES).index(name) < CELLWISE), "the cellwise read was (not) taken"
    if name == "good":
        assert {"NB101", "NB201"} <= {finding[0] for finding in whole}
    if name in ("not JSON in a cell", "a merge conflict in a cell", "a big integer in a cell"):
        assert whole[0][0] in ("NB002", "NB003"), whole  # read again, whole, to be named


def _stripped(path: Path) -> tuple:
    """What `nblint strip` makes of the file: (the new bytes or None, what it says), or why it cannot."""
    try:
        outcome = strip_notebook(HandedBytes(read_regular_buffer(path)), StripOptions(), path.name, path)
    except NotStrippable as exc:
        return ("not strippable", str(exc))
    return (outcome.data, outcome.summary.describe())


def _stripped_both_ways(path: Path, monkeypatch) -> tuple:
    whole = _stripped(path)
    with monkeypatch.context() as patch:
        patch.setattr(cellwise, "CELLWISE_FROM", 0)
        return whole, _stripped(path)


@pytest.mark.parametrize("name", list(LOOK_ALIKES))
def test_cell_by_cell_strips_as_the_whole_read_strips(tmp_path, monkeypatch, name):
    path = tmp_path / "nb.ipynb"
    text = LOOK_ALIKES[name]
    if name == "good":  # outputs to strip, and a count
        text = text.replace(
            '"outputs": []', '"outputs": [{"name": "stdout", "output_type": "stream", "text": ["hi\\n"]}]', 1
        )
        text = text.replace('"execution_count": null', '"execution_count": 3', 1)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    whole, by_cell = _stripped_both_ways(path, monkeypatch)
    assert by_cell == whole
    if name == "good":
        assert whole[0] is not None and b'"hi' not in whole[0], whole


def test_invalid_utf8_in_a_cell_is_named_as_the_whole_read_names_it(tmp_path, monkeypatch):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(GOOD.encode("utf-8").replace("Ünïcode".encode(), b"\xff\xfe bad", 1))
    whole, by_cell, _ = _both_ways(path, monkeypatch)
    assert by_cell == whole and whole[0][0] == "NB002" and "not UTF-8" in whole[0][1]


@pytest.mark.slow
def test_cell_by_cell_over_the_corpus(monkeypatch):
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the project ({CORPUS})")
    taken = 0
    for path in sorted(CORPUS.rglob("*.ipynb")):
        whole, by_cell, used = _both_ways(path, monkeypatch)
        assert by_cell == whole, path
        taken += used
    assert taken > 400  # most of the corpus is of the common shape


@pytest.mark.slow
def test_cell_by_cell_strips_the_corpus_as_the_whole_read(monkeypatch):
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the project ({CORPUS})")
    for path in sorted(CORPUS.rglob("*.ipynb")):
        whole, by_cell = _stripped_both_ways(path, monkeypatch)
        assert by_cell == whole, path


def _peak_growth(*command: str) -> int:
    """Peak RSS of `nblint COMMAND` over that of the same command on a one-cell notebook."""

    def peak(path: str) -> int:
        process = subprocess.Popen(
            [sys.executable, "-m", "nblint", *command[:-1], path], cwd=REPO, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak
        assert os.waitstatus_to_exitcode(status) in (0, 1)
        return usage.ru_maxrss * 1024

    small = Path(command[-1]).with_name("small.ipynb")
    small.write_text(notebook_text(make_notebook(["x = 1\n"])), encoding="utf-8")
    return peak(command[-1]) - peak(str(small))


@pytest.fixture(scope="module")
def big_notebook(tmp_path_factory) -> Path:
    """100 MiB of images in 100 cells, written by a child process: this one does not grow by it."""
    path = tmp_path_factory.mktemp("big") / "big.ipynb"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from nblint.testing import big_outputs_notebook, notebook_text; "
            "open(sys.argv[1], 'w').write(notebook_text(big_outputs_notebook(100, image_bytes=1024 * 1024)))",
            str(path),
        ],
        check=True,
        cwd=REPO,
    )
    assert path.stat().st_size > 100 * 2**20
    return path


@pytest.mark.slow
def test_a_big_notebook_is_checked_in_under_twice_its_size(big_notebook):
    size = big_notebook.stat().st_size
    growth = _peak_growth("check", "--no-cache", "--jobs", "1", "--exit-zero", "-o", os.devnull, str(big_notebook))
    assert growth < 2 * size, f"check held {growth / size:.2f}x the file"


@pytest.mark.slow
def test_a_big_notebook_is_stripped_in_under_twice_its_size(big_notebook, tmp_path):
    copy = tmp_path / "copy.ipynb"
    copy.write_bytes(big_notebook.read_bytes())
    size = copy.stat().st_size
    growth = _peak_growth("strip", str(copy))
    assert growth < 2 * size, f"strip held {growth / size:.2f}x the file"
    assert copy.stat().st_size < 100_000  # and it was stripped
