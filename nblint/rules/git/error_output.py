"""NB703 error-output: a traceback saved in the notebook."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule
from nblint.rules.git.outputs import EXPECTED_ERROR_TAGS, joined, one_line, removal_fix, saved_outputs
from nblint.rules.git.secrets import mask_secrets


def _error(ename: str, evalue: str) -> dict:
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": [
            "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
            f"\x1b[0;31m{ename}\x1b[0m: {evalue}",
        ],
    }


class ErrorOutput(NotebookRule):
    """
    ## What it does
    Flags a saved `error` output: a traceback committed with the notebook. The message gives the
    exception's name and value (`ZeroDivisionError: division by zero`) and points at that output in the
    file. Cells tagged `raises-exception` (the tag nbsphinx, nbval, papermill and Jupyter Book use for an
    error that is the point of the cell) are not flagged.

    ## Why it hurts
    The committed notebook shows a failure: readers cannot tell whether the code below it ever ran,
    outputs after it may come from an older state, and `papermill` or `nbval` runs stop at that cell.
    Often it means the notebook was committed half-run, or the error was never fixed. A traceback also
    carries local paths, user names and sometimes values printed from the environment.

    ## Example
        {"cell_type": "code", "source": "1 / 0", "outputs": [
          {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", ...}]}

    ## Use instead
    Fix the cell and re-run the notebook from the top (or clear the outputs with `nblint strip`). When the
    error is what the cell demonstrates, tag the cell `raises-exception`:

        {"cell_type": "code", "metadata": {"tags": ["raises-exception"]}, "source": "1 / 0", "outputs": [...]}

    ## Fix
    Safe: `--fix` removes the traceback output and keeps the cell's other outputs.
    """

    code = "NB703"
    name = "error-output"
    severity = Severity.WARNING
    fixable = Applicability.SAFE

    VALID = [
        # Outputs without an error, and a traceback printed as text is not a saved error.
        [
            {
                "execution_count": 1,
                "source": "print('Traceback (most recent call last):')\n",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["Traceback (most recent call last):\n"]}
                ],
            }
        ],
        # The error is the point of the cell.
        [
            {
                "execution_count": 1,
                "source": "1 / 0\n",
                "metadata": {"tags": ["raises-exception"]},
                "outputs": [_error("ZeroDivisionError", "division by zero")],
            }
        ],
        [
            {
                "execution_count": 1,
                "source": "1 / 0\n",
                "metadata": {"tags": ["nbval-raises-exception"]},
                "outputs": [_error("ZeroDivisionError", "division by zero")],
            }
        ],
        # An error output on a markdown cell is a schema problem (NB004), not a saved traceback.
        [{"cell_type": "markdown", "source": "# Title", "outputs": [_error("NameError", "x")]}],
    ]
    INVALID = [
        Invalid(
            [{"execution_count": 1, "source": "1 / 0\n", "outputs": [_error("ZeroDivisionError", "division by zero")]}],
            line=None,
            message="ZeroDivisionError: division by zero",
        ),
        Invalid(
            [
                "import numpy as np\n",
                {
                    "execution_count": 2,
                    "source": "model.fit(X)\n",
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": ["Epoch 1\n"]},
                        _error("KeyboardInterrupt", ""),
                    ],
                },
            ],
            cell=1,
            line=None,
            message="output 2 is a saved traceback: KeyboardInterrupt (the run was interrupted)",
        ),
        # A long value is cut; ANSI colours are removed.
        Invalid(
            [
                {
                    "execution_count": 1,
                    "source": "f()\n",
                    "outputs": [_error("ValueError", "\x1b[1mbad\x1b[0m " + "x" * 500)],
                }
            ],
            line=None,
            message="ValueError: bad xxx",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        for output in saved_outputs(notebook):
            if output.output_type != "error" or EXPECTED_ERROR_TAGS.intersection(output.cell.tags):
                continue
            ename = one_line(joined(output.data.get("ename")), 80) or "an exception"
            evalue = one_line(mask_secrets(joined(output.data.get("evalue"))))
            if ename == "KeyboardInterrupt" and not evalue:
                what = "KeyboardInterrupt (the run was interrupted)"
            else:
                what = f"{ename}: {evalue}" if evalue else ename
            self.report_at(
                f"output {output.index + 1} is a saved traceback: {what}; fix the cell and re-run, or clear the "
                "output (`nblint strip`); tag the cell `raises-exception` if the error is intended",
                fix="nblint strip <notebook>  # or tag the cell `raises-exception` when the error is the point",
                cell=output.cell.index,
                json_path=output.json_path,
                autofix=removal_fix(
                    output, f"Remove the saved traceback ({output.label}) of cell {output.cell.index + 1}"
                ),
            )
