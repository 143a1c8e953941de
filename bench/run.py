"""nblint against its peers and its own floor, on one machine, in one run.

    python3 bench/run.py [CORPUS] [--runs 5] [--peer-runs 3] [--output FILE]

CORPUS defaults to ../shared/corpus (beside this checkout). The first run creates bench/.venv and
installs into it nblint from this checkout (not editable: as a user has it) and the peers (nbqa,
flake8, ruff, nbstripout); later runs reinstall nblint only when its sources changed. Every command
runs in a fresh copy of the corpus in a temporary folder, once untimed (warm-up: bytecode and the OS's
file cache), then `--runs` times; the table gives medians and the ratios the issue sets targets for:

- cold `nblint check` of one small notebook / `python -c "import libcst"`            target <= 1.6
- `nblint check` (no cache) of the corpus / `nbqa flake8` of it                     target <= 0.15
  (and / `ruff check --select ALL`, for the record)
- warm run (cache filled) / cold run (empty cache), whole corpus                    target <= 0.35
- `nblint check` of the corpus / libcst.parse_module of every code cell in one process  target <= 0.75
- peak RSS of the whole-corpus run (the largest process, and all processes together)
- `nblint strip` / `nbstripout` on the same copy (the notebooks nbstripout can handle: it stops at the
  first it cannot)
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PEERS = ("nbqa", "flake8", "ruff", "nbstripout")


# -- the benchmark's own environment ----------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def source_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "nblint").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_venv() -> Path:
    python = BIN / "python"
    if not python.exists():
        log(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    installed = {name for name in PEERS if (BIN / name).exists()}
    if installed != set(PEERS):
        log("installing the peers: " + ", ".join(sorted(set(PEERS) - installed)))
        pip(python, "install", "--quiet", *PEERS)
    stamp_file = VENV / "nblint-source.sha256"
    stamp = source_stamp()
    if not (BIN / "nblint").exists() or not stamp_file.exists() or stamp_file.read_text() != stamp:
        log("installing nblint from this checkout")
        pip(python, "install", "--quiet", str(REPO))  # its dependencies, when new
        pip(python, "install", "--quiet", "--no-deps", "--force-reinstall", str(REPO))  # this very source
        stamp_file.write_text(stamp)
    return python


def pip(python: Path, *args: str) -> None:
    result = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench: pip {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def environment() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users have bytecode caches; so must the benchmark
    env.pop("NBLINT_CACHE_DIR", None)
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


# -- measuring ---------------------------------------------------------------------------------


class PeakMemory:
    """Samples the RSS of a process tree (Linux /proc) while it runs: the sum over its processes."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as handle:
                        todo.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
        return pids

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_total = max(self.peak_total, sum(self._rss(pid) for pid in self._tree()))
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


LAST_CPU = [0.0]  # user + system seconds of the last run_once, children included


def run_once(command: list[str], cwd: Path, env: dict, memory: bool = False) -> tuple[float, int, int]:
    """(seconds, peak RSS of the largest process, peak RSS summed over the tree) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = PeakMemory(process.pid) if memory and Path("/proc").is_dir() else None
    _, _status, usage = os.wait4(process.pid, 0)  # the child's peak, with the children it waited for
    elapsed = time.perf_counter() - start
    process.returncode = 0
    if sampler is not None:
        sampler.stop()
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return elapsed, usage.ru_maxrss * scale, sampler.peak_total if sampler else 0


def median_time(command: list[str], cwd: Path, env: dict, runs: int, before=None) -> float:
    """Median wall time of `runs` runs after one untimed warm-up; `before()` runs untimed before each."""
    times = []
    for index in range(runs + 1):
        if before is not None:
            before()
        elapsed = run_once(command, cwd, env)[0]
        if index:
            times.append(elapsed)
    return statistics.median(times)


# -- the corpus --------------------------------------------------------------------------------


def notebooks_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def code_cells(path: Path) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = data["cells"] if data.get("nbformat") == 4 else None
    except Exception:
        return None
    if not isinstance(cells, list):
        return None
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def small_notebook(corpus: Path) -> Path:
    """A small, valid nbformat 4 notebook with some code: the one closest to 8 KB."""
    candidates = [p for p in notebooks_of(corpus) if (code_cells(p) or [])]
    return min(candidates, key=lambda p: (abs(p.stat().st_size - 8192), str(p)))


FLOOR_SCRIPT = r"""
import json, sys, time
import libcst
start = time.perf_counter()
for name in sys.argv[1:]:
    try:
        data = json.loads(open(name, encoding="utf-8").read())
    except Exception:
        continue
    cells = data.get("cells") if isinstance(data, dict) else None
    if cells is None and isinstance(data, dict):
        cells = [c for sheet in data.get("worksheets", []) for c in sheet.get("cells", [])]
    for cell in cells or []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", cell.get("input", ""))
            source = "".join(source) if isinstance(source, list) else str(source)
            try:
                libcst.parse_module(source)
            except Exception:
                pass
print(time.perf_counter() - start)
"""


def strippable(python: Path, corpus_copy: Path, env: dict) -> list[Path]:
    """The notebooks nbstripout gets through: it stops at the first it cannot read, so drop that one
    and try again on a fresh copy, until it succeeds."""
    remaining = [p.relative_to(corpus_copy) for p in notebooks_of(corpus_copy)]
    for _ in range(50):
        with tempfile.TemporaryDirectory() as scratch:
            copy_files(corpus_copy, Path(scratch), remaining)
            result = subprocess.run(
                [str(BIN / "nbstripout"), *map(str, remaining)], cwd=scratch, env=env, capture_output=True, text=True
            )
        if result.returncode == 0:
            return remaining
        failed = [line.split("'")[1] for line in result.stderr.splitlines() if line.startswith("Could not strip '")]
        if not failed:
            break
        remaining = [p for p in remaining if str(p) != failed[0]]
    return remaining


def copy_files(source: Path, target: Path, relative: list[Path]) -> None:
    for path in relative:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, target / path)


# -- the table ---------------------------------------------------------------------------------


def ratio_row(what: str, ours: float, theirs: float, target: float | None, unit: str = "s") -> str:
    ratio = ours / theirs if theirs else float("nan")
    verdict = "" if target is None else ("yes" if ratio <= target else "**no**")
    target_text = "(for the record)" if target is None else f"<= {target}"
    return f"| {what} | {ours:.3f} {unit} | {theirs:.3f} {unit} | {ratio:.2f} | {target_text} | {verdict} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each nblint command (default 5)")
    parser.add_argument("--peer-runs", type=int, default=3, help="timed runs of nbqa/flake8 (slow; default 3)")
    parser.add_argument("--output", type=Path, help="also write the table (markdown) to this file")
    args = parser.parse_args()
    corpus = Path(args.corpus).resolve()
    if not corpus.is_dir() or not notebooks_of(corpus):
        sys.exit(f"bench: {corpus}: no notebooks there")

    python = prepare_venv()
    env = environment()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    nblint = str(BIN / "nblint")
    rows: list[str] = []
    notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="nblint-bench-") as temporary:
        work = Path(temporary)
        copy = work / "corpus"
        shutil.copytree(corpus, copy)
        count = len(notebooks_of(copy))
        cache = work / "cache"

        def empty_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        # 1. start-up: one small notebook against importing libcst
        small = small_notebook(copy)
        one = work / "one"
        one.mkdir()
        shutil.copy2(small, one / small.name)
        log(f"one small notebook ({small.relative_to(copy)}, {small.stat().st_size // 1024} KB)")
        cold_one = median_time(
            [nblint, "check", "--exit-zero", "--cache-dir", str(cache), small.name],
            one,
            env,
            args.runs * 2,
            before=empty_cache,
        )
        import_libcst = median_time([str(python), "-c", "import libcst"], one, env, args.runs * 2)
        rows.append(
            ratio_row(
                'cold `nblint check` of one small notebook / `python -c "import libcst"`', cold_one, import_libcst, 1.6
            )
        )

        # 2. the whole corpus, cold (no cache), with its memory
        log(f"nblint check of {count} notebooks")
        check = [nblint, "check", "--exit-zero", "--no-cache", "-o", os.devnull, "."]
        corpus_times, largest, total, cpu = [], [], [], []
        for index in range(args.runs + 1):
            elapsed, peak, peak_total = run_once(check, copy, env, memory=True)
            if index:
                corpus_times.append(elapsed)
                largest.append(peak)
                total.append(peak_total)
                cpu.append(LAST_CPU[0])
        nblint_corpus = statistics.median(corpus_times)

        log("nbqa flake8 (slow)")
        nbqa = median_time([str(BIN / "nbqa"), "flake8", "."], copy, env, args.peer_runs)
        rows.append(ratio_row(f"`nblint check` / `nbqa flake8`, {count} notebooks", nblint_corpus, nbqa, 0.15))
        log("ruff")
        ruff = median_time(
            [
                str(BIN / "ruff"),
                "check",
                "--no-cache",
                "--exit-zero",
                "--select",
                "ALL",
                "--output-format",
                "concise",
                ".",
            ],
            copy,
            env,
            args.runs,
        )
        rows.append(
            ratio_row(f"`nblint check` / `ruff check --select ALL`, {count} notebooks", nblint_corpus, ruff, None)
        )

        # 3. warm against cold
        log("warm and cold runs")
        cached = [nblint, "check", "--exit-zero", "--cache-dir", str(cache), "-o", os.devnull, "."]
        cold = median_time(cached, copy, env, args.runs, before=empty_cache)
        empty_cache()
        run_once(cached, copy, env)  # fill it
        warm = median_time(cached, copy, env, args.runs)
        rows.append(ratio_row(f"warm (cached) run / cold run, {count} notebooks", warm, cold, 0.35))

        # 4. the floor of a single-process libcst design
        log("libcst.parse_module of every code cell, in one process")
        floor_script = work / "floor.py"
        floor_script.write_text(FLOOR_SCRIPT)
        files = [str(p) for p in notebooks_of(copy)]
        floors = []
        for index in range(args.runs + 1):
            result = subprocess.run([str(python), str(floor_script), *files], env=env, capture_output=True, text=True)
            if index:
                floors.append(float(result.stdout.strip()))
        floor = statistics.median(floors)
        rows.append(
            ratio_row(
                "`nblint check` of the corpus / libcst.parse_module of its code cells (one process)",
                nblint_corpus,
                floor,
                0.75,
            )
        )

        notes.append(
            f"The whole-corpus run used {statistics.median(cpu):.2f} s of CPU (all processes) for "
            f"{nblint_corpus:.2f} s of wall time on {os.cpu_count()} cores."
        )

        # 5. peak memory
        rows.append(
            f"| peak RSS of the whole-corpus run | {statistics.median(largest) / 2**20:.0f} MiB (largest process) "
            f"| {statistics.median(total) / 2**20:.0f} MiB (all processes) | | | |"
        )

        # 6. strip
        log("strip: finding the notebooks nbstripout can handle")
        strip_set = strippable(python, copy, env)
        stripped = work / "strip"

        def fresh_copy() -> None:
            shutil.rmtree(stripped, ignore_errors=True)
            copy_files(copy, stripped, strip_set)

        fresh_copy()
        has_strip = subprocess.run([nblint, "strip", "--help"], env=env, capture_output=True).returncode == 0
        nbstripout = median_time(
            [str(BIN / "nbstripout"), *map(str, strip_set)], stripped, env, args.runs, before=fresh_copy
        )
        if has_strip:
            ours = median_time([nblint, "strip", *map(str, strip_set)], stripped, env, args.runs, before=fresh_copy)
            rows.append(
                ratio_row(
                    f"`nblint strip` / `nbstripout`, the {len(strip_set)} notebooks nbstripout handles",
                    ours,
                    nbstripout,
                    None,
                )
            )
        else:
            rows.append(f"| `nblint strip` / `nbstripout` | not available in this nblint | {nbstripout:.3f} s | | | |")
        if len(strip_set) < count:
            notes.append(
                f"nbstripout stops at the first notebook it cannot read; {count - len(strip_set)} of {count} "
                "were left out of the strip comparison so that it could finish."
            )

    if load_before is not None:
        notes.append(
            f"Load average (1 min) before the runs {load_before:.2f}, after {os.getloadavg()[0]:.2f}: "
            "other work on the machine slows the parallel run more than the one-process references."
        )
    cores = os.cpu_count()
    versions = subprocess.run(
        [str(python), "-c", "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('libcst'))"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    header = [
        f"Measured {datetime.date.today().isoformat()} on {cores} cores ({platform.machine()}, {platform.system()}), "
        f"Python {versions[0] if versions else platform.python_version()}, libcst {versions[1] if len(versions) > 1 else '?'}; "
        f"corpus: {count} notebooks ({corpus.name}); medians of {args.runs} runs ({args.peer_runs} for nbqa), "
        "after one untimed warm-up each.",
        "",
        "| measure | nblint | reference | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    table = "\n".join(header + rows + ([""] + [f"- {note}" for note in notes] if notes else [])) + "\n"
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
