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


def _utf16_notebook(path: Path, encoding: str) -> Path:
    utf8 = write_notebook(path.with_suffix(".utf8"), ["while True:\n    pass\n"])
    path.write_bytes(utf8.read_text(encoding="utf-8").encode(encoding))
    utf8.unlink()
    return path


def test_a_nul_byte_is_named_with_its_line(tmp_path):
    (tmp_path / "nb.ipynb").write_bytes(b'{\n "cells": [\n  \x00\x01\x02\n ]\n}\n')
    checked = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[0] == (
        "nb.ipynb:3:3: NB002 a NUL byte at line 3 column 3: not JSON text, not a notebook"
    )  # it was "binary file", for a text file with one stray byte


@pytest.mark.parametrize("encoding", ["UTF-16LE", "UTF-16BE"])
def test_a_utf16_notebook_without_a_mark_is_called_utf16_with_the_command_that_converts_it(tmp_path, encoding):
    """Issue 19: it was called "binary file" (ASCII in UTF-16 is valid UTF-8 with a NUL after each character)."""
    import shutil
    import subprocess

    _utf16_notebook(tmp_path / "nb.ipynb", encoding.lower())
    command = f"iconv -f {encoding} -t UTF-8 nb.ipynb > converted.ipynb"
    checked = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert checked.stdout.splitlines()[0] == (
        f"nb.ipynb: NB002 {encoding} text without a byte-order mark, not UTF-8: notebooks are UTF-8 JSON (as "
        f"Jupyter writes them); convert it with `{command}`"
    )
    stripped = run_nblint("strip", "nb.ipynb", cwd=tmp_path)
    assert stripped.returncode == 2 and "without a byte-order mark, not UTF-8" in stripped.stderr
    assert f"`{command}`; left unchanged" in stripped.stderr
    if shutil.which("iconv") is None:
        return  # the command itself is tried where iconv is installed
    subprocess.run(command, shell=True, cwd=tmp_path, check=True)
    converted = run_nblint("check", "--no-cache", "--format", "json", "converted.ipynb", cwd=tmp_path)
    assert [f["code"] for f in json.loads(converted.stdout)] == ["NB201"]  # the command gives a notebook back


def test_a_utf16_notebook_with_a_mark_is_called_utf16(tmp_path):
    _utf16_notebook(tmp_path / "nb.ipynb", "utf-16")  # Python writes the mark of the machine's byte order
    checked = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert "NB002 UTF-16" in checked.stdout and "iconv -f UTF-16 -t UTF-8 nb.ipynb" in checked.stdout


def test_a_nul_byte_in_a_string_reads_without_a_doubled_at(tmp_path):
    """Issue 19: `strip` said "Invalid control character at at line 10" (json's message ends with "at")."""
    path = write_notebook(tmp_path / "nb.ipynb", ["# pad\n" * 200, "print(1)\n"])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("print(1)", "print(\x001)"), encoding="utf-8")  # past the first 1,024 bytes
    line = text[: text.index("print(1)")].count("\n") + 1
    stripped = run_nblint("strip", "nb.ipynb", cwd=tmp_path)
    assert stripped.returncode == 2
    assert f"not JSON (Invalid control character at line {line}, column" in stripped.stderr, stripped.stderr
    checked = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert f"NB002 not valid JSON: Invalid control character at line {line} column" in checked.stdout
    assert "at at" not in stripped.stderr + checked.stdout


def test_a_file_name_with_a_newline_is_quoted_in_text_formats_and_exact_in_json(tmp_path):
    """Issue 19: printed raw, a newline split `path:cell:line` in two."""
    name = "new\nline\t.ipynb"
    output = {"output_type": "stream", "name": "stdout", "text": "x\n"}
    write_notebook(tmp_path / name, [{"cell_type": "code", "source": "while True:\n    pass\n", "outputs": [output]}])
    quoted = '"new\\nline\\t.ipynb"'
    for format_name in ("text", "full"):
        report = run_nblint("check", "--no-cache", "--format", format_name, ".", cwd=tmp_path)
        assert report.stdout.startswith(f"{quoted}:cell 1:1:1: NB201 "), report.stdout
    as_json = run_nblint("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    assert [f["path"] for f in json.loads(as_json.stdout)] == [name]
    github = run_nblint("check", "--no-cache", "--format", "github", ".", cwd=tmp_path)
    assert github.stdout.startswith("::error file=new%0Aline\t.ipynb,")  # GitHub's own escape, read back exactly
    stripped = run_nblint("strip", "--dry-run", ".", cwd=tmp_path)
    assert stripped.stdout.startswith(f"{quoted}: ") and len(stripped.stdout.splitlines()) == 1


FIX_WRITE_FAILS = """
import os, sys
def failing_replace(source, target):
    raise OSError(28, "No space left on device")  # as on a full disk, where the temporary file cannot be renamed
os.replace = failing_replace
from nblint.cli import main
sys.exit(main(["check", "--no-cache", "--fix", *sys.argv[1:]]))
"""


def test_after_a_fix_that_could_not_be_written_the_summary_does_not_offer_fix(tmp_path):
    """Issue 19: the summary still said "1 fixable with `nblint check --fix`", the command that just failed."""
    import subprocess
    import sys

    error = {"output_type": "error", "ename": "KeyError", "evalue": "'k'", "traceback": ["KeyError: 'k'"]}
    path = write_notebook(tmp_path / "nb.ipynb", [{"cell_type": "code", "source": "d[1]\n", "outputs": [error]}])
    before = path.read_bytes()
    assert "1 fixable with `nblint check --fix`" in run_nblint("check", "--no-cache", ".", cwd=tmp_path).stdout
    result = subprocess.run(
        [sys.executable, "-c", FIX_WRITE_FAILS, "."], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "nb.ipynb: cannot write the fixed notebook: No space left on device" in result.stderr
    assert result.stdout.splitlines()[-1] == "Found 1 finding in 1 notebook (1 checked)."
    assert path.read_bytes() == before
