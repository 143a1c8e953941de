"""What the flight recorder costs per cell: its pre_run_cell and post_run_cell callbacks on a real IPython
shell, for cells of the corpus's sizes, and one memory sample (what the sampler thread does every 200 ms).

    python3 bench/recorder.py [--cells 2000]

Records go to a temporary JUPYTER_RUNTIME_DIR. Prints the median and 95th percentile per cell (target < 1 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=2000)
    args = parser.parse_args()
    os.environ["JUPYTER_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="nblint-bench-")
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    from nblint.guard.recorder import Recorder

    shell = InteractiveShell.instance()
    recorder = Recorder(shell)
    recorder.start()
    cells = ["x = 1\n", "df = pd.read_csv('data.csv')\n" * 20, "for i in range(10):\n    print(i)\n" * 200]
    per_cell, samples = [], []
    for number in range(args.cells):
        raw = cells[number % len(cells)]
        info = ExecutionInfo(raw, True, False, False, f"cell-{number}")
        started = time.perf_counter()
        recorder.pre_run_cell(info)
        recorder.post_run_cell(ExecutionResult(info))
        per_cell.append(time.perf_counter() - started)
        started = time.perf_counter()
        recorder.sample()
        samples.append(time.perf_counter() - started)
    assert recorder.enabled, "the recorder stopped itself"
    recorder.stop()
    per_cell.sort()
    samples.sort()
    print(
        f"recorder per cell (pre_run_cell + post_run_cell): median {statistics.median(per_cell) * 1e3:.3f} ms,"
        f" 95th percentile {per_cell[int(len(per_cell) * 0.95)] * 1e3:.3f} ms over {len(per_cell)} cells"
    )
    print(
        f"one memory sample: median {statistics.median(samples) * 1e6:.1f} us"
        f" (every 200 ms while a cell runs: {statistics.median(samples) / 0.2 * 100:.3f}% of a core)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
