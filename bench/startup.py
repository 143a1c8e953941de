"""Start-up cost of `nblint check` on one small notebook, cold, against `python -c "import libcst"`.

    python3 bench/startup.py [NOTEBOOK] [--runs 10] [--callgrind] [--python PY]

Load-independent figures, for a shared machine: the CPU time (user + sys, `os.wait4`) of each command,
the minimum of `--runs` runs after one untimed warm-up, and with `--callgrind` the instructions valgrind's
callgrind counts for one run of each (the same from run to run within a fraction of a percent, whatever
else the machine does). nblint is the console script beside PY (as bench/run.py runs it) importing this
checkout (PYTHONPATH), with bytecode caches (PYTHONDONTWRITEBYTECODE unset, as users have them):
`nblint check NOTEBOOK --no-cache --jobs 1 --no-progress`, and the same with an empty `--cache-dir`
(what bench/run.py times: the cache's source stamp and one entry written).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK = "export-run-history-to-tensorboard.ipynb"


def environment() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NBLINT_CACHE_DIR", None)
    env["PYTHONPATH"] = str(REPO)
    return env


def cpu_of(command: list[str], env: dict, cwd: Path) -> float:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def instructions_of(command: list[str], env: dict, cwd: Path) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    match = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if not match:
        sys.exit(f"bench: callgrind printed no count:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", help=f"default: {DEFAULT_NOTEBOOK} under ../shared/corpus")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose venv has nblint")
    args = parser.parse_args()
    if args.notebook:
        notebook = Path(args.notebook).resolve()
    else:
        found = sorted((REPO.parent.parent / "shared" / "corpus").rglob(DEFAULT_NOTEBOOK))
        found = found or sorted(Path("/work/shared/corpus").rglob(DEFAULT_NOTEBOOK))
        if not found:
            sys.exit(f"bench: {DEFAULT_NOTEBOOK} not found; give a notebook")
        notebook = found[0]
    python = Path(args.python)
    entry = python.parent / "nblint"
    env = environment()
    with tempfile.TemporaryDirectory(prefix="nblint-startup-") as temporary:
        work = Path(temporary)
        shutil.copy2(notebook, work / notebook.name)
        cache = work / "cache"
        check = [str(entry), "check", notebook.name, "--jobs", "1", "--no-progress", "--exit-zero"]
        commands = {
            "import libcst": [str(python), "-c", "import libcst"],
            "check --no-cache": [*check, "--no-cache"],
            "check, empty cache": [*check, "--cache-dir", str(cache)],
        }
        figures: dict[str, tuple[float, int | None]] = {}
        for name, command in commands.items():
            times = []
            for index in range(args.runs + 1):
                shutil.rmtree(cache, ignore_errors=True)
                cpu = cpu_of(command, env, work)
                if index:
                    times.append(cpu)
            shutil.rmtree(cache, ignore_errors=True)
            count = instructions_of(command, env, work) if args.callgrind else None
            figures[name] = (min(times), count)
    base_cpu, base_count = figures["import libcst"]
    print(f"notebook: {notebook.name}; CPU: min of {args.runs} runs")
    print("| command | CPU (s) | ratio | instructions | ratio |")
    print("|---|---|---|---|---|")
    for name, (cpu, count) in figures.items():
        counted = f"{count:,} | {count / base_count:.3f}" if count and base_count else "- | -"
        print(f"| {name} | {cpu:.3f} | {cpu / base_cpu:.3f} | {counted} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
