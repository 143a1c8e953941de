"""NB701 outputs-committed: with `require-clean-outputs = true`, code cells that carry outputs or counts."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability, Fix, JsonEdit, safe
from nblint.core.options import Option, parse_bool
from nblint.core.read.notebook import Cell, Notebook
from nblint.core.wording import plural
from nblint.rules.base import Invalid, NotebookRule, Valid
from nblint.rules.git.outputs import code_cells

REQUIRE_CLEAN_OUTPUTS = Option(
    "require-clean-outputs",
    False,
    parse_bool,
    "Report every code cell that carries outputs or an execution count (NB701); off by default.",
)

_STRIP_FIX = "run `nblint strip` on this notebook (or nbstripout) before committing"


def keeps_outputs(notebook: Notebook, cell: Cell) -> bool:
    """Whether nbstripout (and so `nblint strip`) keeps this cell's outputs on purpose, by its markers:
    `init_cell` in the cell's metadata decides alone; else `keep_output` in the cell's metadata or tags;
    else `keep_output` in the notebook's metadata."""
    metadata = cell.metadata
    if "init_cell" in metadata:
        return bool(metadata["init_cell"])
    if "keep_output" in metadata or "keep_output" in cell.tags:
        return bool(metadata.get("keep_output")) or "keep_output" in cell.tags
    return bool(notebook.metadata.get("keep_output"))


def _counts(cell: Cell) -> list[int]:
    """The execution counts a strip would clear: the cell's own and those of its execute_result outputs."""
    counts = [cell.execution_count] if cell.execution_count is not None else []
    for output in cell.outputs:
        if isinstance(output, dict):
            count = output.get("execution_count")
            if isinstance(count, int) and not isinstance(count, bool) and count not in counts:
                counts.append(count)
    return counts


class OutputsCommitted(NotebookRule):
    """
    ## What it does
    With `require-clean-outputs = true`, flags every code cell that carries saved outputs or an execution
    count.

    One finding per cell, pointing at the cell's `outputs` (or `execution_count`) in the file. Without
    the option it reports nothing: it is on by default but silent, so the one option switches it on, and
    `per-file-ignores` can still exempt the notebooks whose outputs are the point (rendered docs,
    galleries).

    Cells whose outputs nbstripout keeps on purpose are not flagged for their outputs: `keep_output` in
    the cell's metadata or tags, `init_cell: true`, or `keep_output: true` in the notebook's metadata
    (their execution counts are still flagged, as a strip clears those too). So whatever this rule
    reports, `nblint strip` (or nbstripout) with its default options removes.

    ## Why it hurts
    Outputs make every diff noisy (a re-run changes images, timings and counts though no code changed),
    bloat the repository with base64 images that stay in its history forever, cause merge conflicts in
    cells nobody edited, and can leak data or credentials printed during a run. Execution counts alone
    change on every run. Teams that review notebooks as code keep them clean in git.

    ## Example
        {"cell_type": "code", "execution_count": 3, "source": "df.describe()",
         "outputs": [{"output_type": "execute_result", "execution_count": 3, "data": {...}}]}

    ## Use instead
    Strip before committing: `nblint strip notebook.ipynb` (or the `nblint strip` pre-commit hook), leaving

        {"cell_type": "code", "execution_count": null, "source": "df.describe()", "outputs": []}

    ## Options
    - `require-clean-outputs` (default `false`): set `require-clean-outputs = true` in `[tool.nblint]` to
      report committed outputs and execution counts. With it unset or false this rule reports nothing,
      even when selected.

    ## Fix
    Safe: `--fix` empties the cell's outputs and clears its execution count (and, where the outputs are
    kept on purpose, the counts of those outputs): the outputs and counts `nblint strip` clears, without
    the metadata keys `strip` also drops. nbformat 3 notebooks are not fixed (NB607: convert them first).
    """

    code = "NB701"
    name = "outputs-committed"
    severity = Severity.WARNING
    fixable = Applicability.SAFE
    options = (REQUIRE_CLEAN_OUTPUTS,)

    VALID = [
        # The option's default is false: a notebook full of outputs is fine.
        [
            {
                "execution_count": 1,
                "source": "print('hi')\n",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
            }
        ],
        # Clean cells, with the option on.
        Valid(
            ["x = 1\n", "print(x)\n", {"cell_type": "markdown", "source": "# Notes"}],
            options={"require-clean-outputs": True},
        ),
        # Outputs that nbstripout keeps on purpose (cell metadata, tag, init_cell, notebook metadata).
        Valid(
            [
                {
                    "source": "plot()\n",
                    "metadata": {"keep_output": True},
                    "outputs": [{"output_type": "display_data", "data": {"text/plain": ["<Figure>"]}, "metadata": {}}],
                }
            ],
            options={"require-clean-outputs": True},
        ),
        Valid(
            [
                {
                    "source": "plot()\n",
                    "metadata": {"tags": ["keep_output"]},
                    "outputs": [{"output_type": "display_data", "data": {"text/plain": ["<Figure>"]}, "metadata": {}}],
                }
            ],
            options={"require-clean-outputs": True},
        ),
        Valid(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": "a",
                        "metadata": {},
                        "source": ["plot()\n"],
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
                    }
                ],
                "metadata": {
                    "keep_output": True,
                    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            },
            options={"require-clean-outputs": True},
        ),
    ]
    INVALID = [
        Invalid(
            [
                {
                    "execution_count": 1,
                    "source": "print('hi')\n",
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
                }
            ],
            options={"require-clean-outputs": True},
            line=None,
            message="1 saved output and execution count 1",
        ),
        # An execution count alone (no outputs) is still state a strip clears.
        Invalid(
            ["x = 1\n", {"execution_count": 7, "source": "y = 2\n"}],
            options={"require-clean-outputs": True},
            cell=1,
            line=None,
            message="execution count 7",
        ),
        # keep_output keeps the outputs, but nbstripout still clears the count.
        Invalid(
            [
                {
                    "execution_count": 2,
                    "source": "plot()\n",
                    "metadata": {"keep_output": True},
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
                }
            ],
            options={"require-clean-outputs": True},
            line=None,
            message="execution count 2",
        ),
        # `init_cell: false` overrides a notebook-wide keep_output, as nbstripout does.
        Invalid(
            [
                {
                    "source": "plot()\n",
                    "metadata": {"init_cell": False, "keep_output": True},
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
                }
            ],
            options={"require-clean-outputs": True},
            line=None,
            message="1 saved output",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        if not self.option(REQUIRE_CLEAN_OUTPUTS):
            return
        for cell in code_cells(notebook):
            outputs = 0 if keeps_outputs(notebook, cell) else len(cell.outputs)
            counts = _counts(cell)
            if not outputs and not counts:
                continue
            found = []
            if outputs:
                found.append(plural(outputs, "saved output"))
            if counts:
                found.append(
                    f"execution count {counts[0]}"
                    if len(counts) == 1
                    else "execution counts " + ", ".join(map(str, counts))
                )
            key = "outputs" if outputs else ("execution_count" if cell.execution_count is not None else "outputs")
            if notebook.original_major < 4 and key == "execution_count":
                key = "prompt_number"  # nbformat 3's name for it
            self.report_at(
                f"cell carries {' and '.join(found)}, and `require-clean-outputs` is on; {_STRIP_FIX}",
                fix="nblint strip <notebook>  # clears outputs and execution counts, keeps cell ids",
                cell=cell.index,
                json_path=cell.json_path + (key,),
                autofix=_clearing_fix(cell, bool(outputs)) if notebook.original_major >= 4 else None,
            )


def _clearing_fix(cell: Cell, outputs_go: bool) -> Fix:
    edits = []
    if outputs_go:
        edits.append(JsonEdit(cell.json_path + ("outputs",), []))
    else:  # outputs kept on purpose: only their counts go, as nbstripout clears them
        edits.extend(
            JsonEdit(cell.json_path + ("outputs", index, "execution_count"), None)
            for index, output in enumerate(cell.outputs)
            if isinstance(output, dict) and output.get("execution_count") is not None
        )
    if cell.execution_count is not None:
        edits.append(JsonEdit(cell.json_path + ("execution_count",), None))
    return safe("Clear the cell's outputs and execution count", *edits)
