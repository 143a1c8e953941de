"""NB504 out-of-order-execution: saved execution counts that go down from top to bottom."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule


def _ran(count: int | None) -> dict:
    return {"cell_type": "code", "source": "x = 1\n", "execution_count": count, "outputs": []}


class OutOfOrderExecution(NotebookRule):
    """
    ## What it does
    Flags a notebook whose saved execution counts go down somewhere from top to bottom: a cell ran
    after a cell below it. Reported once per notebook, at the first cell whose count is lower than the
    count of a cell above it, with how many cells are out of order.

    Not flagged: counts that rise with gaps (`[1]`, `[4]`, `[9]`: cells re-run in order, or scratch
    cells deleted), cells never run (no count), a notebook never run, markdown cells.

    ## Why it hurts
    The saved outputs come from a kernel state that Run All will not rebuild: a variable defined in a
    later cell, a cell edited and re-run out of turn, a kernel restarted halfway. The next person to run
    the notebook top to bottom gets a NameError or different numbers, and a reviewer cannot trust the
    outputs in the diff.

    ## Example
        [2] import pandas as pd
        [1] df = pd.read_csv("data.csv")

    ## Use instead
    Restart the kernel and Run All before saving (or clear the outputs: `nblint strip`), so the counts
    read 1, 2, 3... down the notebook.
    """

    code = "NB504"
    name = "out-of-order-execution"
    severity = Severity.WARNING

    VALID = [
        [_ran(1), _ran(2), _ran(3)],
        [_ran(1), _ran(4), _ran(9)],  # gaps: cells re-run in order or deleted
        [_ran(1), _ran(None), _ran(2)],  # a cell never run
        [_ran(None), _ran(None)],  # never run
        [_ran(3), {"cell_type": "markdown", "source": "# Notes", "metadata": {}}, _ran(5)],
        [_ran(2), _ran(2)],  # the same count twice (a copied cell): not a cell run after a later one
    ]
    INVALID = [
        Invalid([_ran(2), _ran(1)], cell=1, line=None, message="cell 2 ran as [1] after cell 1 ran as [2]"),
        Invalid(
            [_ran(1), _ran(5), _ran(None), _ran(3), _ran(6), _ran(2)], cell=3, line=None, message="2 of 5 run cells"
        ),
        # a kernel restarted halfway: the cells above ran in another session
        Invalid([_ran(10), _ran(11), _ran(1), _ran(2)], cell=2, line=None, message="[1]"),
    ]

    def check(self, notebook: Notebook) -> None:
        highest: tuple[int, int] | None = None  # (count, cell index) of the highest count so far
        first_down: tuple[int, int, int, int] | None = None
        run = down = 0
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            count = cell.execution_count
            if count is None:
                continue
            run += 1
            if highest is not None and count < highest[0]:
                down += 1
                if first_down is None:
                    first_down = (cell.index, count, highest[1], highest[0])
            if highest is None or count > highest[0]:
                highest = (count, cell.index)
        if first_down is None:
            return
        index, count, above_index, above_count = first_down
        cell = notebook.cells[index]
        count_key = "execution_count" if notebook.original_major >= 4 else "prompt_number"  # v3's name for it
        self.report_at(
            f"cell {index + 1} ran as [{count}] after cell {above_index + 1} ran as [{above_count}] "
            f"({down} of {run} run cells ran before a cell above them): the saved outputs come from an order "
            f"that Run All will not reproduce; restart the kernel and Run All before saving, or clear the "
            f"outputs (`nblint strip`)",
            fix="Restart the kernel, Run All, then save",
            cell=index,
            json_path=cell.json_path + (count_key,),
        )
