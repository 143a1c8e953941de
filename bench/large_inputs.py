"""Large inputs: time and peak memory of `nblint check` on generated notebooks at n and 4n.

    python bench/large_inputs.py [--scale 1.0]

Each size runs in a fresh process (`--jobs 1 --no-cache`, so the peak RSS is that one notebook's);
the table gives seconds, peak RSS and the ratios from n to 4n (linear: about 4; quadratic: about 16).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from nblint.testing import big_outputs_notebook, long_cell_notebook, many_cells_notebook, notebook_text  # noqa: E402


def big_outputs(megabytes: float) -> dict:
    return big_outputs_notebook(max(1, int(megabytes)), image_bytes=1024 * 1024)


CASES = {
    "cells": (many_cells_notebook, 1250, "code+markdown cells"),
    "outputs": (big_outputs, 50, "MB of outputs"),
    "lines": (long_cell_notebook, 5000, "lines in one cell"),
}


def measure(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nblint",
            "check",
            "--jobs",
            "1",
            "--no-cache",
            "--exit-zero",
            "-o",
            os.devnull,
            str(path),
        ],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the largest child's so far
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"nblint failed on {path} (exit {process.returncode})")
    return elapsed, usage.ru_maxrss * 1024


def write_case(name: str, size: int, path: Path) -> None:
    """Generate in a child process: a parent holding 200 MB of notebook would lend its pages to the
    next child's peak RSS (ru_maxrss counts the image a child had between fork and exec)."""
    subprocess.run([sys.executable, __file__, "--write", name, str(size), str(path)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n (1.0: n, 4n as in the table)")
    parser.add_argument("--write", nargs=3, metavar=("CASE", "SIZE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        name, size, path = args.write
        Path(path).write_text(notebook_text(CASES[name][0](int(size))), encoding="utf-8")
        return
    print("| input | n | 4n | time n (s) | time 4n (s) | time ratio | peak RSS n | peak RSS 4n |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, (_make, n, unit) in CASES.items():
            n = max(1, int(n * args.scale))
            row = []
            for size in (n, 4 * n):
                path = Path(folder, f"{name}-{size}.ipynb")
                write_case(name, size, path)
                row.append((size, *measure(path), path.stat().st_size))
                path.unlink()
            (s1, t1, m1, b1), (s4, t4, m4, b4) = row
            print(
                f"| {unit} | {s1} | {s4} | {t1:.2f} | {t4:.2f} | {t4 / t1:.1f} | {m1 / 2**20:.0f} MiB | {m4 / 2**20:.0f} MiB |"
            )


if __name__ == "__main__":
    main()
