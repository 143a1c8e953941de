"""What the guard costs: per cell, and for a whole notebook run.

    python3 bench/guard.py                  # corpus: ../shared/corpus
    python3 bench/guard.py path/to/notebooks --notebook some.ipynb --runs 3

1. Per cell: every code cell of the corpus goes through what the guard does before a cell runs (the
   memory figure, a LiveValues over the namespace, the one-cell check of every guarded rule), in notebook
   order, with the constants and imports of the notebook's earlier cells standing for the kernel's
   namespace (nothing is executed). Prints the median and 95th percentile per cell (target: < 5 ms, < 25 ms).
2. Whole notebook: a real notebook executed in a real kernel (jupyter_client + ipykernel) without and
   with `%load_ext nblint`, `--runs` times each, alternating; prints the median wall times and the
   slowdown. The default notebook is the corpus's one that needs nothing but NumPy and no data files.

Run it with the interpreter that has nblint's test extras (ipykernel, numpy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_NOTEBOOK = (
    "amanchadha__coursera-deep-learning-specialization/C1 - Neural Networks and Deep Learning/"
    "Week 2/Python Basics with Numpy/Python_Basics_With_Numpy_v3a.ipynb"
)


# -- 1. per cell -------------------------------------------------------------------------------------


class _Imported:
    """Stands for a module or function an earlier cell imported (LiveValues trusts the recorded import)."""


def _remember(module, namespace: dict, imports: dict) -> None:
    """What running the cell would leave in the namespace, as far as it can be known without running it:
    its imports, and the plain constants it assigns (evaluated with the namespace so far)."""
    from nblint.core.code.context import CodeContext
    from nblint.core.code.symbols import UNKNOWN
    from nblint.guard.values import LiveValues

    context = CodeContext(module, live=LiveValues(dict(namespace), imports))
    for name, origin in context.symbols.imports.items():
        if origin is not None:
            stand_in = _Imported()
            namespace[name] = stand_in
            imports[name] = (origin, stand_in)
    for name in list(context.symbols._bindings):
        if name in context.symbols.imports:
            continue
        value = context.symbols.constant(name, context._evaluate_global)
        if value is UNKNOWN:
            namespace.pop(name, None)  # rebound to something unknown: the old value is gone
        else:
            namespace[name] = value


said: list[tuple[str, str]] = []  # (notebook, the line the guard printed), for reading


def per_cell(corpus: Path) -> tuple[list[float], list[float]]:
    from nblint.core.options import MEMORY_BUDGET
    from nblint.core.read.notebook import Unreadable, read_notebook
    from nblint.guard.check import check_cell
    from nblint.guard.extension import GUARDED_FAMILIES
    from nblint.guard.memory import available_bytes
    from nblint.guard.values import LiveValues
    from nblint.rules import ALL_RULES, all_options
    from nblint.rules.base import CodeRule

    rules = [r for c, r in ALL_RULES.items() if issubclass(r, CodeRule) and c[:3] in GUARDED_FAMILIES]
    options = {key: option.parsed_default() for key, option in all_options().items()}
    assert MEMORY_BUDGET.key in options
    times: list[float] = []
    cpu_times: list[float] = []
    said.clear()
    floor = available_bytes()
    for path in sorted(corpus.rglob("*.ipynb")):
        try:
            notebook = read_notebook(path)
        except Unreadable:
            continue
        if not notebook.is_python or notebook.is_python2:
            continue
        namespace: dict = {}
        imports: dict = {}
        for cell in notebook.cells:
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            started, cpu = time.perf_counter(), time.process_time()
            try:  # what Guard.check does before a cell runs
                verdict = check_cell(
                    cell.source, LiveValues(namespace, imports), rules, options, available_bytes, floor=floor
                )
            except Exception:
                verdict = None  # the guard would print one line and let the cell run
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu)
            if verdict is not None:
                for line in verdict.refused + verdict.warnings:
                    said.append((str(path.relative_to(corpus)), line))
            if verdict is not None and verdict.module is not None:
                _remember(verdict.module, namespace, imports)
    return times, cpu_times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# -- 2. a whole notebook -----------------------------------------------------------------------------


def run_notebook(path: Path, guarded: bool) -> tuple[float, int]:
    """Wall time to execute every code cell in a fresh kernel (after start-up), and the cells that ended
    in an error."""
    import os
    import tempfile

    from jupyter_client.manager import start_new_kernel

    sys.path.insert(0, str(REPO / "tests"))
    from kernel import run

    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c.get("cell_type") == "code"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            IPYTHONDIR=str(Path(folder) / "ipython"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        )
        manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(path.parent))
        try:
            run(client, "%load_ext nblint\n" if guarded else "pass\n")  # not timed: once per kernel
            errors = 0
            started = time.perf_counter()
            for source in sources:
                if run(client, source, timeout=300).status != "ok":
                    errors += 1
            return time.perf_counter() - started, errors
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--notebook", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-notebook", action="store_true")
    parser.add_argument("--skip-cells", action="store_true")
    parser.add_argument("--show", action="store_true", help="print every refusal and warning, to read them")
    args = parser.parse_args(argv)

    import os

    load = os.getloadavg()[0]
    times, cpu_times = per_cell(args.corpus) if not args.skip_cells else ([], [])
    for label, values in (("wall", times), ("CPU", cpu_times)):
        if not values:
            continue
        print(
            f"guard per cell ({label} time) over {len(values):,} code cells of {args.corpus}: median "
            f"{statistics.median(values) * 1000:.2f} ms, 95th percentile {percentile(values, 0.95) * 1000:.2f} ms, "
            f"99th {percentile(values, 0.99) * 1000:.1f} ms, max {max(values) * 1000:.0f} ms "
            f"(targets: median < 5 ms, 95th < 25 ms)"
        )
    if times and not said:
        print("what the guard said: nothing (no refusal, no warning)")
    if said:
        import collections
        import re

        kinds = collections.Counter(
            re.match(r"(?:nblint )?(NB\d+) (refused|warning)", line).groups() for _, line in said
        )
        print(
            "what the guard said:", ", ".join(f"{code} {kind} {count}" for (code, kind), count in sorted(kinds.items()))
        )
        if args.show:
            for notebook, line in said:
                print(f"  {notebook}: {line}")
    print(f"load average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs")

    if not args.skip_notebook:
        notebook = args.notebook or args.corpus / DEFAULT_NOTEBOOK
        plain, guarded = [], []
        for _ in range(args.runs):
            plain.append(run_notebook(notebook, False))
            guarded.append(run_notebook(notebook, True))
        without = statistics.median(t for t, _ in plain)
        with_guard = statistics.median(t for t, _ in guarded)
        print(
            f"whole notebook {notebook.name} ({len(json.loads(notebook.read_text())['cells'])} cells), medians of "
            f"{args.runs} runs: without the guard {without:.3f} s, with it {with_guard:.3f} s, "
            f"slowdown {with_guard / without:.2f}x (+{(with_guard - without) * 1000:.0f} ms); cells ending in an "
            f"error: {plain[0][1]} without, {guarded[0][1]} with"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
