"""Parallel runs report exactly what a single process reports, whatever finishes first, whichever way the
workers start, and even when a worker dies; small runs stay in process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import json_findings, run_nblint, write_notebook
from speed_projects import make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("parallel") / "project")


def report(project: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    result = run_nblint("check", ".", "--no-cache", *args, cwd=project, env=env)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    return result


@pytest.mark.slow  # runs a project of 120 notebooks in one and two processes
@pytest.mark.parametrize("format_name", ["json", "text"])
def test_one_and_two_jobs_report_the_same(project, format_name):
    single = report(project, "--jobs", "1", "--format", format_name)
    double = report(project, "--jobs", "2", "--format", format_name)
    assert double.stdout == single.stdout
    if format_name == "json":
        findings = json_findings(single)
        assert len({f["path"] for f in findings}) > 10  # a real set, not two empty reports
        keys = [(f["path"], -1 if f["cell"] is None else f["cell"], f["line"] or 0, f["column"] or 0) for f in findings]
        assert keys == sorted(keys)  # sorted by path, then cell, line, column


@pytest.mark.slow  # runs a project of 120 notebooks twice
def test_workers_started_by_spawn_need_nothing_inherited(project):
    # spawn (the macOS and Windows default) gives workers only what the initializer passes them
    single = report(project, "--jobs", "1", "--format", "json")
    spawned = report(project, "--jobs", "2", "--format", "json", env={"NBLINT_START_METHOD": "spawn"})
    assert spawned.stdout == single.stdout


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


@pytest.mark.slow  # 16 big notebooks, twice, one run killed
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to find the worker processes")
def test_a_worker_killed_mid_run_does_not_lose_a_notebook(tmp_path):
    project = tmp_path / "p"
    # Enough work for the run to outlive the kill: 16 notebooks of 1,200 lines each.
    body = "".join(f"def f{i}(a):\n    return [a * {i}, a + {i}]\n" for i in range(600))
    for index in range(16):
        write_notebook(project / f"nb{index:02}.ipynb", [body, f"import time\ntime.sleep({86400 + index})\n"])
    expected = run_nblint("check", ".", "--no-cache", "--jobs", "1", "--format", "json", cwd=project)
    process = subprocess.Popen(
        [sys.executable, "-m", "nblint", "check", ".", "--no-cache", "--jobs", "2", "--format", "json"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and process.poll() is None:
        workers = _children(process.pid)
        if len(workers) >= 2:
            time.sleep(0.3)  # let them take notebooks
            os.kill(workers[0], signal.SIGKILL)
            killed = workers[0]
        else:
            time.sleep(0.02)
    out, err = process.communicate(timeout=300)
    if killed is None:
        pytest.skip("the run ended before a worker could be killed")
    assert "Traceback" not in err and process.returncode == 1, err
    assert out == expected.stdout
    assert "nblint: warning: a worker process died" in err  # recovered, and said so


def _project_with_a_worker_killer(project: Path, clean: bool = False) -> Path:
    """A real cell that ends its worker: two statements of 18,000 elements each (under the screen's
    limits and the program's budget, so libcst parses them: 2-3 s of CPU) under a CPU-time limit of 1 s
    per process (the main process needs about half of it, see _under_a_cpu_limit), which the kernel
    enforces with SIGXCPU as the OOM killer would with SIGKILL. Beside it, four notebooks with an NB405
    each, or with no finding at all (`clean`)."""
    bomb = "".join(f"x{i} = [" + ", ".join(["1"] * 18_000) + "]\n" for i in range(2))
    write_notebook(project / "a_bomb.ipynb", [bomb])
    for index in range(4):
        write_notebook(
            project / f"nb{index}.ipynb", ["x = 1\n" if clean else f"import time\ntime.sleep({86400 + index})\n"]
        )
    return project


def _under_a_cpu_limit(project: Path, *args: str) -> subprocess.CompletedProcess:
    import resource

    def limit_cpu() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (1, resource.getrlimit(resource.RLIMIT_CPU)[1]))

    return subprocess.run(
        [sys.executable, "-m", "nblint", "check", ".", "--no-cache", "--jobs", "2", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_cpu,
    )


@pytest.mark.slow
def test_a_notebook_that_kills_its_worker_every_time_is_named_and_the_run_goes_on(tmp_path):
    project = _project_with_a_worker_killer(tmp_path / "p")
    result = _under_a_cpu_limit(project, "--format", "json")
    findings = json_findings(result)
    assert result.returncode == 1, result.stderr
    assert sorted((f["path"], f["code"]) for f in findings) == [
        ("a_bomb.ipynb", "NB000"),
        *((f"nb{index}.ipynb", "NB405") for index in range(4)),
    ]
    assert "the worker process checking this notebook died" in findings[0]["message"]
    assert "nblint: warning: a worker process died" in result.stderr


@pytest.mark.slow  # two pool runs, each losing a worker twice
def test_the_summary_counts_a_notebook_whose_worker_died_as_not_checked(tmp_path):
    """Issue 19: the summary said "(5 checked)", and "All checks passed" when NB000 was not selected."""
    project = _project_with_a_worker_killer(tmp_path / "p", clean=True)
    reported = _under_a_cpu_limit(project)
    assert reported.returncode == 1, reported.stderr
    assert reported.stdout.splitlines()[-1] == "Found 1 finding in 1 notebook (4 checked, 1 could not be checked)."

    unreported = _under_a_cpu_limit(project, "--ignore", "NB000")
    assert "All checks passed" not in unreported.stdout
    assert unreported.stdout.splitlines() == [
        "No findings, but not every notebook was checked (4 checked, 1 could not be checked)."
    ]
    assert unreported.returncode == 2, unreported.stderr  # not the exit of a clean run
    assert "Traceback" not in unreported.stderr


def _imported(*args: str, cwd: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nblint", *args], cwd=cwd, capture_output=True, text=True
    )
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.slow  # three runs under -X importtime
def test_small_runs_stay_in_process_and_big_ones_use_a_pool(tmp_path):
    for index in range(6):
        write_notebook(tmp_path / f"nb{index}.ipynb", ["print(1)\n"])
    two = _imported("check", "--no-cache", "nb0.ipynb", "nb1.ipynb", cwd=tmp_path)
    assert "nblint.run.runner" in two and "concurrent.futures.process" not in two
    asked = _imported("check", "--no-cache", "--jobs", "2", "nb0.ipynb", "nb1.ipynb", cwd=tmp_path)
    assert "concurrent.futures.process" in asked  # an explicit --jobs 2 is obeyed
    single = _imported("check", "--no-cache", "--jobs", "1", ".", cwd=tmp_path)
    assert "concurrent.futures.process" not in single


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_number_of_jobs_is_a_usage_error(tmp_path, value):
    write_notebook(tmp_path / "a.ipynb", ["print(1)\n"])
    result = run_nblint("check", ".", "--jobs", value, cwd=tmp_path)
    assert result.returncode == 2 and "--jobs" in result.stderr and "Traceback" not in result.stderr
