"""Where `nblint check`'s time goes: per stage and per rule, cold (no cache) and warm (cache filled).

    python3 bench/profile_check.py [PATH ...] [--top 25] [--warm]

Runs `nblint check --jobs 1` in this process under cProfile. The notebooks are checked on nblint's
deep-stack thread (nblint.core.deepstack), which a plain `python -m cProfile` does not see: the
profiler is started inside that thread, around the function it runs. Figures are CPU time of that
thread: the total is the thread's CPU time; the split between stages is cProfile's (wall clock, a vDSO read; a CPU clock
would cost a system call per event and swamp the figures), so read it as shares.

Per stage: the inclusive time of the functions that are the stages of a notebook's check. Per rule:
the time spent in each rule's module (its visitor methods and its own helpers), plus the shared
layers (core/sizes, core/code/*) it calls into, summed by the file the time is spent in.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

# (label, module path suffix, function name): inclusive CPU time of each stage.
STAGES = (
    ("read JSON (parse_notebook)", "core/read/notebook.py", "parse_notebook"),
    ("cache look-up", "run/runner.py", "_lookup"),
    ("build program: masking, screen, parse", "core/code/program.py", "build_program"),
    ("  libcst parse", "core/code/cstparse.py", None),
    ("  screen", "core/code/screen.py", None),
    ("notebook rules (NotebookRule.check)", None, "check"),
    ("code rules, all (run_code_rules)", "run/pipeline.py", "run_code_rules"),
    ("  batched traversal (cstwalk.visit_batched)", "core/code/cstwalk.py", "visit_batched"),
    ("positions and findings (to_findings)", "run/pipeline.py", "to_findings"),
    ("suppressions", "core/suppressions.py", "apply"),
    ("cache store", "run/cache.py", "store"),
)


def profile_run(argv: list[str]) -> tuple[pstats.Stats, float, float]:
    """Run nblint's CLI with argv, profiling inside the deep-stack thread. (stats, thread CPU, wall)."""
    from nblint.core import deepstack
    from nblint.run import runner

    profiler = cProfile.Profile()  # perf_counter: a CPU clock here costs a system call per event
    cpu = [0.0]
    original = deepstack.call_with_deep_stack

    def profiled(function, *args, **kwargs):
        def inside(*a, **k):
            start = time.thread_time()
            try:
                return profiler.runcall(function, *a, **k)
            finally:
                cpu[0] += time.thread_time() - start

        return original(inside, *args, **kwargs)

    runner.call_with_deep_stack = profiled
    from nblint.cli import main

    start = time.perf_counter()
    try:
        main(argv)
    finally:
        runner.call_with_deep_stack = original
    wall = time.perf_counter() - start
    return pstats.Stats(profiler), cpu[0], wall


def by_file(stats: pstats.Stats) -> dict[str, float]:
    """Self time by source file, nblint's files relative to the package, others by top package."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        totals[short(filename)] += tottime
    return totals


def short(filename: str) -> str:
    path = filename.replace(os.sep, "/")
    if "/nblint/" in path:
        return "nblint/" + path.rsplit("/nblint/", 1)[1]
    if "site-packages/" in path:
        return path.rsplit("site-packages/", 1)[1].split("/")[0]
    if path.startswith("~") or path.startswith("<"):
        return "builtins"
    return "stdlib"


def stage_times(stats: pstats.Stats) -> list[tuple[str, float]]:
    rows = []
    for label, suffix, function in STAGES:
        total = 0.0
        for (filename, _line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
            path = filename.replace(os.sep, "/")
            if suffix is not None and not path.endswith(suffix):
                continue
            if function is None:
                total += tottime
            elif name == function and (suffix is not None or "/nblint/rules/" in path):
                # cumtime counts a recursive function once per outermost call
                total += cumtime
        rows.append((label, total))
    return rows


def report(title: str, stats: pstats.Stats, cpu: float, wall: float, top: int) -> str:
    lines = [f"### {title}", "", f"CPU of the checking thread {cpu:.3f} s (wall {wall:.3f} s, whole CLI call)", ""]
    profiled = stats.total_tt or 1.0  # cProfile's own total: shares are of it
    lines += ["| stage | profiled s | share |", "|---|---|---|"]
    for label, seconds in stage_times(stats):
        lines.append(f"| {label} | {seconds:.3f} | {100 * seconds / profiled:.0f}% |")
    files = sorted(by_file(stats).items(), key=lambda item: -item[1])
    lines += [
        "",
        "Self time by file (rules are `nblint/rules/...`):",
        "",
        "| file | profiled s | share |",
        "|---|---|---|",
    ]
    for name, seconds in files[:top]:
        lines.append(f"| {name} | {seconds:.3f} | {100 * seconds / profiled:.1f}% |")
    rules = [(n, s) for n, s in files if n.startswith("nblint/rules/") and not n.endswith("__init__.py")]
    lines += ["", f"All rule modules together: {sum(s for _, s in rules):.3f} s of self time.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths",
        nargs="*",
        default=[
            str(
                Path("/work/shared/corpus")
                if Path("/work/shared/corpus").is_dir()
                else REPO.parent / "shared" / "corpus"
            )
        ],
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--select", default=None, help="passed to nblint check (e.g. ALL)")
    parser.add_argument("--dump", type=Path, help="write the cold run's raw pstats here")
    args = parser.parse_args()
    extra = ["--select", args.select] if args.select else []
    with tempfile.TemporaryDirectory(prefix="nblint-profile-") as temporary:
        cache = Path(temporary) / "cache"
        argv = ["check", "--jobs", "1", "--exit-zero", "--cache-dir", str(cache), "-o", os.devnull, *extra, *args.paths]
        cold, cold_cpu, cold_wall = profile_run(argv)
        if args.dump:
            cold.dump_stats(str(args.dump))
        warm, warm_cpu, warm_wall = profile_run(argv)
        shutil.rmtree(cache, ignore_errors=True)
    print(report("cold (empty cache)", cold, cold_cpu, cold_wall, args.top))
    print(report("warm (cache filled)", warm, warm_cpu, warm_wall, min(args.top, 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
