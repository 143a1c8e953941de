"""When does a process pool pay for itself? `nblint check --no-cache` on k notebooks, in process
(`--jobs 1`) and in a pool (`--jobs N`), for k = 1..8; the median of several runs each.

    python bench/pool_threshold.py [CORPUS] [--runs 7] [--start-method fork|spawn]

The notebooks are the corpus's middle-sized ones (by code size), so k of them are a typical small run.
runner.POOL_MIN_FILES is set from this table (the smallest k where the pool is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def code_size(path: Path) -> int:
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return sum(len("".join(c["source"])) for c in cells if c.get("cell_type") == "code")
    except Exception:
        return -1


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(HERE.parent.parent / "shared" / "corpus"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--start-method", choices=["fork", "spawn", "forkserver"])
    parser.add_argument(
        "--quantile", type=float, default=0.5, help="which notebooks by code size (0.5: the middle ones)"
    )
    args = parser.parse_args()
    notebooks = sorted((p for p in Path(args.corpus).rglob("*.ipynb")), key=code_size)
    notebooks = [p for p in notebooks if code_size(p) > 0]
    at = min(max(int(len(notebooks) * args.quantile), 4), len(notebooks) - 4)
    middle = notebooks[at - 4 : at + 4]
    sizes = sorted(p.stat().st_size // 1024 for p in middle)
    print(f"notebooks at the {args.quantile:.0%} quantile of code size: {sizes[0]}-{sizes[-1]} KB on disk")
    env = dict(os.environ)
    if args.start_method:
        env["NBLINT_START_METHOD"] = args.start_method
    print(f"| notebooks | KB | in process (s) | pool of {args.jobs} (s) | pool / in process |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for k in range(1, 9):
            files = []
            for index, source in enumerate(middle[:k]):
                target = Path(folder, f"k{k}", f"{index}.ipynb")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
                files.append(str(target))
            base = [sys.executable, "-m", "nblint", "check", "--no-cache", "--exit-zero"]
            single = statistics.median(timed(base + ["--jobs", "1", *files], env) for _ in range(args.runs))
            pooled = statistics.median(timed(base + ["--jobs", str(args.jobs), *files], env) for _ in range(args.runs))
            kilobytes = sum(Path(f).stat().st_size for f in files) // 1024
            print(f"| {k} | {kilobytes} | {single:.3f} | {pooled:.3f} | {pooled / single:.2f} |")


if __name__ == "__main__":
    main()
