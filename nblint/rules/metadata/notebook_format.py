"""NB606 duplicate-cell-id and NB607 old-nbformat: the notebook file's own format."""

from __future__ import annotations

import zlib

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability, JsonEdit, safe
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule


def _code(source: str, cell_id: str | None) -> dict:
    cell: dict[str, object] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": [source],
    }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def _v4(cells: list[dict], minor: int = 5) -> dict:
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def _v3(major: int = 3) -> dict:
    return {
        "metadata": {"name": "analysis"},
        "nbformat": major,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": "x = 1",
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                    }
                ],
                "metadata": {},
            }
        ],
    }


class DuplicateCellId(NotebookRule):
    """
    ## What it does
    Flags a cell whose `id` (nbformat 4.5) is the same as the id of a cell above it, naming both cells.
    The file is read as it is on disk: nbformat repairs duplicate ids silently when it loads a notebook,
    so tools built on it never see them.

    Not flagged: unique ids; notebooks without ids (nbformat 4.4 and older).

    ## Why it hurts
    Cell ids are how nbdime, JupyterLab's real-time collaboration and review tools tell cells apart. With a
    duplicate, nbformat gives one of the cells a new random id on every load, so each save writes a new
    id: diffs show cells changing that nobody touched, nbdime pairs the wrong cells in a merge, and
    `nbformat.validate` warns in CI. It usually comes from copying cells between notebooks by hand or a
    merge that kept both sides.

    ## Example
        {"cell_type": "code", "id": "a1b2c3", "source": "x = 1", ...},
        {"cell_type": "code", "id": "a1b2c3", "source": "y = 2", ...}

    ## Use instead
        {"cell_type": "code", "id": "a1b2c3", "source": "x = 1", ...},
        {"cell_type": "code", "id": "d4e5f6", "source": "y = 2", ...}

    (opening and saving the notebook in Jupyter once writes the repaired ids.)

    ## Fix
    Safe: `--fix` gives each later duplicate a fresh id of eight hex digits, as nbformat makes them,
    unique in the notebook and derived from the old id and the cell's place, so `--diff` and `--fix`
    agree and a second run changes nothing. The first cell with the id keeps it.
    """

    code = "NB606"
    name = "duplicate-cell-id"
    severity = Severity.WARNING
    fixable = Applicability.SAFE

    VALID = [
        _v4([_code("x = 1\n", "a1b2c3"), _code("y = 2\n", "d4e5f6")]),
        _v4([_code("x = 1\n", None), _code("y = 2\n", None)], minor=4),  # no ids at all
        ["x = 1\n", "y = 2\n", {"cell_type": "markdown", "source": "# Notes", "metadata": {}}],
    ]
    INVALID = [
        Invalid(
            _v4([_code("x = 1\n", "a1b2c3"), _code("y = 2\n", "a1b2c3")]),
            cell=1,
            line=None,
            message="cell 2 has id 'a1b2c3', the same as cell 1",
        ),
        Invalid(
            _v4(
                [
                    _code("x = 1\n", "a"),
                    {"cell_type": "markdown", "id": "b", "metadata": {}, "source": ["# b"]},
                    _code("y = 2\n", "c"),
                    _code("z = 3\n", "b"),
                ]
            ),
            cell=3,
            line=None,
            message="cell 2",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        if notebook.original_major < 4:
            return  # ids came with nbformat 4.5
        cells = notebook.data.get("cells")
        if not isinstance(cells, list):
            return
        first_seen: dict[str, int] = {}
        taken = {cell.get("id") for cell in cells if isinstance(cell, dict) and isinstance(cell.get("id"), str)}
        for index, cell in enumerate(cells):
            cell_id = cell.get("id") if isinstance(cell, dict) else None
            if not isinstance(cell_id, str):
                continue
            if cell_id not in first_seen:
                first_seen[cell_id] = index
                continue
            self.report_at(
                f"cell {index + 1} has id '{cell_id}', the same as cell {first_seen[cell_id] + 1}: nbformat gives one "
                f"of them a new random id on every load, so diffs and nbdime merges pair the wrong cells; give "
                f"this cell a unique id (opening and saving the notebook in Jupyter writes one)",
                fix="Give the cell a unique id, or open and save the notebook in Jupyter",
                cell=index,
                json_path=("cells", index, "id"),
                autofix=safe(
                    "Give the cell a fresh id", JsonEdit(("cells", index, "id"), _fresh_id(cell_id, index, taken))
                ),
            )


def _fresh_id(old: str, index: int, taken: set) -> str:
    """An id no cell has (and none fixed before it got), the same on every run for the same notebook."""
    attempt = 0
    while True:
        candidate = f"{zlib.crc32(f'{old}:{index}:{attempt}'.encode('utf-8', 'surrogatepass')):08x}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        attempt += 1


class OldNbformat(NotebookRule):
    """
    ## What it does
    Flags a notebook stored in nbformat 1, 2 or 3 (IPython 0.12 to 2.x, before Jupyter), naming the
    version found.

    ## Why it hurts
    Jupyter converts it to nbformat 4 in memory on every open and writes version 4 on save, so the first
    save rewrites the whole file and buries the real change in the diff. Tools that read the JSON
    directly do not understand the old layout (`worksheets`, `input`, `prompt_number`): nbstripout stops
    on it, nbstripout-fast leaves it unstripped, and diff, merge and review tools show nonsense.

    ## Example
        {"nbformat": 3, "nbformat_minor": 0, "worksheets": [{"cells": [...]}], "metadata": {...}}

    ## Use instead
    Convert it once and commit the result on its own:

        jupyter nbconvert --to notebook --inplace analysis.ipynb
    """

    code = "NB607"
    name = "old-nbformat"
    severity = Severity.INFO
    # Opt-in: Jupyter opens and converts the old formats; a preference about the file's age, not a defect.
    default_enabled = False

    VALID = [
        _v4([_code("x = 1\n", "a1b2c3")]),
        _v4([_code("x = 1\n", None)], minor=0),
    ]
    INVALID = [
        Invalid(_v3(3), cell=None, line=None, message="nbformat 3"),
        Invalid(_v3(2), cell=None, line=None, message="nbformat 2"),
    ]

    def check(self, notebook: Notebook) -> None:
        major = notebook.original_major
        if major >= 4:
            return
        path = notebook.path.name
        self.report_at(
            f"the notebook is stored in nbformat {major}, from before Jupyter: Jupyter rewrites the whole file as "
            f"nbformat 4 on the first save, and tools that read the JSON (nbstripout, diff and merge tools) do "
            f"not understand the old layout; convert it once and commit that on its own: "
            f"`jupyter nbconvert --to notebook --inplace {path}`",
            fix=f"jupyter nbconvert --to notebook --inplace {path}",
            json_path=("nbformat",),
        )
