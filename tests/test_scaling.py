"""Cost grows linearly with the size of a notebook: many cells, big outputs, one long cell.

Each input is checked at n and at 4n, with every rule on, and the CPU time of the two is compared: a
linear engine takes about 4 times as long, a quadratic one about 16 times. The bound (9) is generous
for a machine shared with other work, and no wall time is asserted. The sizes are small enough to keep
the file to a few seconds; bench/large_inputs.py runs the full sizes (5,000 cells, 200 MB of outputs,
20,000 lines) and reports time and peak memory.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nblint.core.deepstack import call_with_deep_stack
from nblint.rules import ALL_RULES, all_options
from nblint.run.pipeline import check_file
from nblint.testing import big_outputs_notebook, long_cell_notebook, make_notebook, many_cells_notebook, notebook_text

# Each case checks a notebook at two sizes with every rule on: seconds each, more on a busy machine.
pytestmark = pytest.mark.slow

LINEAR_BOUND = 9.0  # 4x the input: ~4x the work when linear, ~16x when quadratic


def with_findings(n: int) -> dict:
    """Cells that every one report something (positions, json lines and suppressions for each)."""
    cells = [f"import time\ntime.sleep(36000)  # cell {i}\nwhile True:\n    x = {i}\n" for i in range(n)]
    return make_notebook(cells)


CASES = {
    "many cells": (many_cells_notebook, 150),
    "big outputs": (big_outputs_notebook, 40),
    "one long cell": (long_cell_notebook, 600),
    "many findings": (with_findings, 100),
}


def cpu_seconds(path: Path, repeat: int) -> tuple[float, int]:
    enabled = set(ALL_RULES)
    options = {key: option.parsed_default() for key, option in all_options().items()}
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        result = call_with_deep_stack(check_file, path, enabled, options)
        best = min(best, time.process_time() - start)
        count = len(result.findings)
    return best, count


@pytest.mark.parametrize("case", list(CASES))
def test_cost_grows_linearly(case, tmp_path):
    make, n = CASES[case]
    small, large = tmp_path / "small.ipynb", tmp_path / "large.ipynb"
    small.write_text(notebook_text(make(n)), encoding="utf-8")
    large.write_text(notebook_text(make(4 * n)), encoding="utf-8")
    cpu_seconds(small, 1)  # warm up: first-use imports and per-type tables are not the notebook's cost
    small_time, small_findings = cpu_seconds(small, 3)
    large_time, large_findings = cpu_seconds(large, 2)
    if case == "many findings":
        assert large_findings == 4 * small_findings > 0
    ratio = large_time / max(small_time, 1e-3)
    assert ratio < LINEAR_BOUND, f"{case}: {small_time:.3f}s at n, {large_time:.3f}s at 4n (x{ratio:.1f})"
