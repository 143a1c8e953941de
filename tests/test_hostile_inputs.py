"""Hostile inputs (issue 19): files that are not files, broken fields, small resource limits.

Each test runs the real CLI in a subprocess on files written to tmp_path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_nblint, write_notebook

CELLS = ["import numpy as np\nx = np.zeros((100_000, 100_000))\n"]


@pytest.fixture
def folder_with_fifo(tmp_path):
    write_notebook(tmp_path / "real.ipynb", CELLS)
    write_notebook(tmp_path / "other.ipynb", CELLS)  # two, so that --jobs 2 starts a pool
    os.mkfifo(tmp_path / "stray.ipynb")  # nobody ever writes to it: opening it for reading blocks for ever
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--no-cache", "."),
        ("check", "--no-cache", "--fix", "."),
        ("check", "--no-cache", "--jobs", "2", "."),
        ("strip", "."),
        ("strip", "--check", "."),
    ],
)
def test_a_fifo_in_a_folder_is_named_and_never_opened(folder_with_fifo, args):
    result = run_nblint(*args, cwd=folder_with_fifo, timeout=60)
    assert "Traceback" not in result.stderr
    assert "stray.ipynb: is a FIFO, not a file" in result.stderr
    assert result.returncode == 2  # something could not be checked: said, and the exit code says so too
    if args[0] == "check":
        assert "NB101" in result.stdout  # the real notebook is still checked


def test_a_fifo_named_on_the_command_line_is_called_a_fifo(folder_with_fifo):
    result = run_nblint("check", "--no-cache", "stray.ipynb", cwd=folder_with_fifo, timeout=60)
    assert result.stderr.strip() == "nblint: error: stray.ipynb: is a FIFO, not a file; not checked"
    assert result.returncode == 2


@pytest.mark.parametrize("command", ["check", "strip"])
def test_a_symlink_loop_is_called_a_loop_named_or_found(tmp_path, command):
    write_notebook(tmp_path / "real.ipynb", CELLS)
    os.symlink("loop.ipynb", tmp_path / "loop.ipynb")
    for target in ("loop.ipynb", "."):
        result = run_nblint(command, *(["--no-cache"] if command == "check" else []), target, cwd=tmp_path)
        assert "loop.ipynb: is a symlink loop, not a file" in result.stderr, (target, result.stderr)
        assert "no such file" not in result.stderr
        assert result.returncode == 2


def _v4(minor: int, cell_id) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": minor,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": cell_id,
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": CELLS[0].splitlines(keepends=True),
            },
        ],
    }


@pytest.mark.parametrize("minor, cell_id", [(5, ["a", "b"]), (5, {"x": 1}), (5, 7), (4, "abc")])
def test_a_wrong_cell_id_is_nb004_and_the_real_findings_are_kept(tmp_path, minor, cell_id):
    write_notebook(tmp_path / "nb.ipynb", notebook=_v4(minor, cell_id))
    result = run_nblint("check", "--no-cache", "--select", "ALL", "--format", "json", "nb.ipynb", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    codes = [finding["code"] for finding in json.loads(result.stdout)]
    assert "NB000" not in codes
    assert "NB004" in codes and "NB101" in codes, codes


def _address_space_limit():
    import resource

    limit = 300 * 1024 * 1024  # 300 MB, as `ulimit -v 300000` on a small CI runner or an HPC login node
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_under_a_300_mb_address_space_limit_every_notebook_is_checked(tmp_path, jobs):
    import subprocess
    import sys

    for name in ("a", "b", "c", "d"):
        write_notebook(tmp_path / f"{name}.ipynb", CELLS)
    result = subprocess.run(
        [sys.executable, "-m", "nblint", "check", "--no-cache", "--jobs", jobs, "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_address_space_limit,
    )
    assert "Traceback" not in result.stderr, result.stderr
    codes = [finding["code"] for finding in json.loads(result.stdout)]
    assert codes == ["NB101"] * 4, (codes, result.stderr)
    assert result.returncode == 1


def _few_descriptors():
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (12, 12))  # `ulimit -n 12`


def test_under_ulimit_n_12_a_pool_run_checks_every_notebook(tmp_path):
    import subprocess
    import sys

    for name in ("a", "b", "c", "d"):
        write_notebook(tmp_path / f"{name}.ipynb", CELLS)
    result = subprocess.run(
        [sys.executable, "-m", "nblint", "check", "--no-cache", "--jobs", "2", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_few_descriptors,
    )
    assert "Traceback" not in result.stderr, result.stderr
    codes = [finding["code"] for finding in json.loads(result.stdout)]
    assert codes == ["NB101"] * 4, (codes, result.stderr)
    assert result.returncode == 1


@pytest.mark.parametrize("table", ["nblnt", "nblint-", "nbllint"])
def test_a_misspelled_table_name_is_an_error_not_ignored(tmp_path, table):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.{table}]\nselect = ["NB6"]\n\n[tool.pylint]\nx = 1\n', encoding="utf-8"
    )
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"unknown table [tool.{table}]; did you mean [tool.nblint]?"), result.stderr


def test_other_tools_tables_are_not_taken_for_a_misspelling(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pylint]\nx = 1\n[tool.nbqa]\ny = 2\n[tool.ruff]\nz = 3\n", encoding="utf-8"
    )
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1 and "NB101" in result.stdout, result.stderr


def test_a_cache_entry_replaced_by_a_folder_is_repaired(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    cache = tmp_path / ".nblint_cache"
    assert run_nblint("check", "nb.ipynb", "--cache-dir", str(cache), cwd=tmp_path).returncode == 1
    entries = [path for path in cache.rglob("*.json") if path.parent.parent != cache]
    assert len(entries) == 1, entries
    entries[0].unlink()
    entries[0].mkdir()  # a folder where the entry was
    (entries[0] / "junk").write_text("x")
    again = run_nblint("check", "nb.ipynb", "--cache-dir", str(cache), cwd=tmp_path)
    assert again.returncode == 1 and "NB101" in again.stdout
    assert entries[0].is_file()  # the next run can hit it again
    json.loads(entries[0].read_text())


@pytest.mark.parametrize("fix", [[], ["--fix"]])
def test_check_removes_the_stale_temporary_file_of_a_killed_run(tmp_path, fix):
    write_notebook(tmp_path / "nb.ipynb", CELLS)
    stale = tmp_path / ".nb.ipynb.0123456789ab.nblint-tmp"
    stale.write_text('{"half": ')
    os.utime(stale, (0, 0))  # long ago: no live write holds it
    result = run_nblint("check", "--no-cache", *fix, "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert not stale.exists()
    assert "a temporary file left by an interrupted run" in result.stderr


def test_a_cache_that_cannot_be_written_is_still_read(tmp_path):
    import shutil
    import stat
    import subprocess
    import sys
    import tempfile

    if os.geteuid() == 0:  # root writes anywhere; and user nobody here sees another engine fingerprint
        pytest.skip("needs a user for whom a folder can be read-only (root bypasses permissions)")
    project = Path(tempfile.mkdtemp(prefix="nblint-ro-"))  # beside tmp_path: readable by another user
    try:
        project.chmod(0o755)
        write_notebook(project / "nb.ipynb", CELLS)
        cache = project / "cache"
        assert run_nblint("check", "nb.ipynb", "--cache-dir", str(cache), cwd=project).returncode == 1
        for folder in [cache, *[p for p in cache.rglob("*") if p.is_dir()]]:
            folder.chmod(0o555)
        for entry in cache.rglob("*.json"):
            entry.chmod(0o444)
        # A hit is a result read back, not checked again: a stored entry with a changed message shows it.
        entry = next(p for p in cache.rglob("*.json") if p.parent.parent != cache)
        entry.chmod(0o644)
        entry.write_text(entry.read_text().replace("allocates", "ALLOCATES-FROM-CACHE"))
        entry.chmod(0o444)

        prefix: list[str] = []
        env = {key: value for key, value in os.environ.items() if key != "NBLINT_CACHE_DIR"}
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "nblint", "check", "nb.ipynb", "--cache-dir", str(cache)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert "ALLOCATES-FROM-CACHE" in result.stdout, (result.stdout, result.stderr)
    finally:
        for path in [project, *project.rglob("*")]:
            if path.is_dir():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(project)


def test_the_by_code_counts_put_the_kernel_killers_first():
    from nblint.core.findings import Finding, Severity
    from nblint.reporters import RunResult
    from nblint.reporters.text import tail

    run = RunResult(checked=1)
    run.findings += [Finding("NB601", "info-thing", "m", Severity.INFO, "nb.ipynb") for _ in range(30)]
    run.findings += [Finding("NB501", "warning-thing", "m", Severity.WARNING, "nb.ipynb") for _ in range(5)]
    run.findings += [Finding("NB101", "huge-allocation", "m", Severity.ERROR, "nb.ipynb")]
    codes = [line.split()[1] for line in tail(run)[2:]]
    assert codes == ["NB101", "NB501", "NB601"]
