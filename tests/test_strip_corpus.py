"""`nblint strip` over a copy of the whole shared corpus: valid results, a second strip changes nothing,
and the same notebooks as `nbstripout --keep-id` writes, where nbstripout can read them at all."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from conftest import CORPUS, run_nblint
from test_strip import assert_same_as_nbstripout, run_nbstripout

# A strip of every notebook of the corpus, twice, and nbstripout's of the same: minutes.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")]

# Files nbstripout cannot strip (it stops the whole run at the first), and nblint reports and skips:
# nbformat 3 without worksheets, or with a worksheet without cells, or without notebook metadata.
UNSTRIPPABLE = {
    "_invalid_and_edge/jupyter__nbformat/tests/test3_no_worksheets.ipynb",
    "_invalid_and_edge/jupyter__nbformat/tests/test3_worksheet_with_no_cells.ipynb",
    "_invalid_and_edge/jupyter__nbformat/tests/test3_no_metadata.ipynb",
}
# nbformat cannot read this Databricks export (a cell without metadata); nblint strips it.
NBFORMAT_CANNOT_READ = {"_invalid_and_edge/nbQA-dev__nbQA/tests/data/databricks_notebook.ipynb"}


def notebooks(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
    )


def is_valid(text: str) -> bool:
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(json.loads(text))
        except (nbformat.ValidationError, KeyError, TypeError, AttributeError, ValueError):
            return False
    return True


def lacks_or_repeats_ids(text: str) -> bool:
    """nbformat's reader gives such cells random new ids, so nbstripout's output differs on every run."""
    value = json.loads(text)
    if (value.get("nbformat"), value.get("nbformat_minor", 0)) < (4, 5):
        return False
    ids = [cell.get("id") for cell in value.get("cells", [])]
    return None in ids or len(set(ids)) != len(ids)


def test_corpus_strip(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(CORPUS, ours)
    shutil.copytree(CORPUS, theirs)
    names = notebooks(CORPUS)

    first = run_nblint("strip", ".", cwd=ours, timeout=600)
    assert first.returncode == 2  # the unstrippable files
    assert "Traceback" not in first.stderr
    reported = {line.split(": ", 1)[0] for line in first.stderr.splitlines() if line.endswith("; left unchanged")}
    assert reported == UNSTRIPPABLE
    stripped = {line.split(": ", 1)[0] for line in first.stdout.splitlines()}
    assert len(stripped) > 100

    results = {name: (ours / name).read_text(encoding="utf-8") for name in names}
    originals = {name: (CORPUS / name).read_text(encoding="utf-8") for name in names}
    for name in UNSTRIPPABLE:
        assert results[name] == originals[name]
    for name in stripped:
        if is_valid(originals[name]):
            assert is_valid(results[name]), f"{name}: valid before the strip, invalid after"

    second = run_nblint("strip", ".", cwd=ours, timeout=600)
    assert second.returncode == 2
    assert second.stdout == ""
    assert second.stderr.splitlines()[-1].startswith("0 notebooks stripped")
    assert all((ours / name).read_text(encoding="utf-8") == results[name] for name in names)

    readable = [name for name in names if name not in UNSTRIPPABLE | NBFORMAT_CANNOT_READ]
    nbstripout = run_nbstripout("--keep-id", *readable, cwd=theirs)
    assert nbstripout.returncode == 0, nbstripout.stderr[-2000:]
    compared = 0
    for name in readable:
        theirs_text = (theirs / name).read_text(encoding="utf-8")
        if lacks_or_repeats_ids(originals[name]):
            continue
        assert_same_as_nbstripout(originals[name], results[name], theirs_text, name)
        compared += 1
    assert compared > 500
