"""Progress on stderr: on a real terminal (a pty) only, never in a pipe or under CI unless asked."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import run_nblint, write_notebook
from nblint.testing import many_cells_notebook, notebook_text

# Checking this notebook takes a second or more (libcst parses 6,000 lines, then the rules walk them): longer than the half
# second before progress is first drawn.
SLOW_CELLS = 1500
PROGRESS = re.compile(r"\r\x1b\[Knblint: 0/3 notebooks checked; checking a_slow\.ipynb( \(\d+ s\))?")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a_slow.ipynb").write_text(notebook_text(many_cells_notebook(SLOW_CELLS)), encoding="utf-8")
    write_notebook(tmp_path / "b.ipynb", ["x = 1\n"])
    write_notebook(tmp_path / "c.ipynb", ["while True:\n    pass\n"])
    return tmp_path


def _environment(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "NBLINT_CACHE_DIR")}
    env["TERM"] = "xterm"
    env.update(extra)
    return env


def run_on_a_terminal(args, cwd, env) -> tuple[int, str, str]:
    """nblint with its stderr on a pseudo-terminal (stdout a pipe, as `nblint check | less` has it)."""
    controller, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "nblint", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    seen = []
    try:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal's last descriptor
                break
            if not chunk:
                break
            seen.append(chunk)
    finally:
        os.close(controller)
    stdout = process.stdout.read().decode()
    process.wait(timeout=120)
    return process.returncode, stdout, b"".join(seen).decode()


def test_a_terminal_shows_done_total_and_the_slow_notebook_then_erases_it(project):
    code, stdout, terminal = run_on_a_terminal(["check", "--no-cache", "--jobs", "1", "."], project, _environment())
    assert code == 1 and stdout.splitlines()[-1] == "Found 1 finding in 1 notebook (3 checked)."
    assert PROGRESS.search(terminal), repr(terminal)
    assert terminal.endswith("\r\x1b[K")  # erased: the report starts on a clean line
    assert "Traceback" not in terminal


def test_pipes_and_ci_get_no_progress_unless_asked(project):
    piped = run_nblint("check", "--no-cache", "--jobs", "1", ".", cwd=project, env={"TERM": "xterm"})
    assert piped.returncode == 1 and piped.stderr == ""
    code, _, terminal = run_on_a_terminal(["check", "--no-cache", "--jobs", "1", "."], project, _environment(CI="true"))
    assert code == 1 and terminal == ""
    code, _, terminal = run_on_a_terminal(["check", "--no-cache", "--jobs", "1", "--no-progress", "."], project,
                                          _environment())
    assert code == 1 and terminal == ""


@pytest.mark.slow
def test_asked_for_in_a_pipe_it_writes_plain_lines(tmp_path):
    """`--progress` in a CI log: a plain line every 5 s (PLAIN_INTERVAL), no carriage returns."""
    # over 10 s on the 2-core machine, so more than the 5 s before the first line whatever the load
    (tmp_path / "a_slow.ipynb").write_text(notebook_text(many_cells_notebook(4000)), encoding="utf-8")
    write_notebook(tmp_path / "b.ipynb", ["x = 1\n"])
    result = run_nblint("check", "--no-cache", "--jobs", "1", "--progress", ".", cwd=tmp_path, timeout=300)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines and all(re.fullmatch(r"nblint: 0/2 notebooks checked; checking a_slow\.ipynb \(\d+ s\)", line)
                         for line in lines), result.stderr
    assert "\r" not in result.stderr


@pytest.mark.slow
def test_a_pool_run_shows_progress_too(project):
    code, stdout, terminal = run_on_a_terminal(["check", "--no-cache", "--jobs", "2", "."], project, _environment())
    assert code == 1 and "(3 checked)" in stdout
    assert re.search(r"nblint: [0-2]/3 notebooks checked; checking a_slow\.ipynb", terminal), repr(terminal)
