"""Progress on stderr: on a real terminal (a pty) only, never in a pipe or under CI unless asked.

The notebook a run waits on is one whose read stalls, as a notebook on a stalled network share would:
the real command line runs with nblint's file read wrapped so that reading `a_stalled.ipynb` says so on
a pipe and then blocks on another until the test releases it. The run is exactly as long as the test
needs, on a fast machine as on a loaded one: a test that waits for the progress line releases the read
when it has seen the line. (A FIFO used to play the stalled file; nblint refuses FIFOs since issue 19.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import write_notebook

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals (POSIX)")

WAITING = re.compile(r"\r\x1b\[Knblint: 0/3 notebooks checked; checking a_stalled\.ipynb( \(\d+ s\))?")
# How long a test that expects nothing on screen holds the stalled read: longer than progress.FIRST_DRAW
# (or PLAIN_INTERVAL), by when a wanted line would have been drawn. These tests can only pass more easily
# on a loaded machine (the line drawn later still), never fail because of it.
BEYOND_FIRST_DRAW = 2.0
BEYOND_PLAIN_INTERVAL = 6.5

STALLED_RUN = """
import os, sys
reached, release = int(sys.argv[1]), int(sys.argv[2])
import nblint.core.read.files as files
def stalled(real_read):
    def stalled_read(path):
        if os.path.basename(path) == "a_stalled.ipynb":
            os.write(reached, b"r")
            os.read(release, 1)  # returns when the test closes its end of the pipe
        return real_read(path)
    return stalled_read
# both reads (the check's, into a buffer, and the cache lookup's), before the modules that import
# them by name are imported
files.read_regular_bytes = stalled(files.read_regular_bytes)
files.read_regular_buffer = stalled(files.read_regular_buffer)
from nblint.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.fixture
def project(tmp_path):
    write_notebook(tmp_path / "a_stalled.ipynb", ["import numpy as np\nx = np.zeros(3)\n"])
    write_notebook(tmp_path / "b.ipynb", ["x = 1\n"])
    write_notebook(tmp_path / "c.ipynb", ["while True:\n    pass\n"])
    return tmp_path


def _environment(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "NBLINT_CACHE_DIR")}
    env["TERM"] = "xterm"
    env.update(extra)
    return env


class StalledRun:
    """`nblint ARGS` in a subprocess whose read of a_stalled.ipynb blocks until `release()`."""

    def __init__(self, args, cwd: Path, env: dict, stderr) -> None:
        reached_read, reached_write = os.pipe()
        release_read, self._release = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", STALLED_RUN, str(reached_write), str(release_read), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            pass_fds=(reached_write, release_read),
        )
        os.close(reached_write)  # the child's (and its workers') copies remain: EOF once they all end
        os.close(release_read)
        self._reached = reached_read

    def wait_until_stalled(self) -> None:
        """Until nblint is blocked in the read (or has ended without it, which the caller's asserts catch)."""
        os.read(self._reached, 1)

    def release(self) -> None:
        if self._release is not None:
            os.close(self._release)
            self._release = None

    def close(self) -> None:
        self.release()
        os.close(self._reached)
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=600)  # a safety net: released, the run ends in a moment
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def stalled_run(args, cwd: Path, env: dict, stderr=subprocess.PIPE):
    run = StalledRun(args, cwd, env, stderr)
    try:
        yield run
    finally:
        run.close()


def run_on_a_terminal(args, cwd, env, until: re.Pattern | None) -> tuple[int, str, str]:
    """nblint with its stderr on a pseudo-terminal (stdout a pipe, as `nblint check | less` has it). The
    stalled read is released once the terminal shows `until`, or (None) BEYOND_FIRST_DRAW seconds after
    the read began, when a line would have been drawn."""
    controller, terminal = os.openpty()
    with stalled_run(args, cwd, env, stderr=terminal) as run:
        os.close(terminal)
        if until is None:
            run.wait_until_stalled()
            time.sleep(BEYOND_FIRST_DRAW)
            run.release()
        seen = b""
        try:
            while True:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the child closed the terminal's last descriptor
                    break
                if not chunk:
                    break
                seen += chunk
                if until is not None and until.search(seen.decode(errors="replace")):
                    run.release()
        finally:
            os.close(controller)
            run.release()
        stdout = run.process.stdout.read().decode()
    return run.process.returncode, stdout, seen.decode()


def test_a_terminal_shows_done_total_and_the_notebook_waited_on_then_erases_it(project):
    code, stdout, terminal = run_on_a_terminal(
        ["check", "--no-cache", "--jobs", "1", "."], project, _environment(), until=WAITING
    )
    assert code == 1 and stdout.splitlines()[-1] == "Found 1 finding in 1 notebook (3 checked)."
    assert WAITING.search(terminal), repr(terminal)
    assert terminal.endswith("\r\x1b[K")  # erased: the report starts on a clean line
    assert "Traceback" not in terminal


@pytest.mark.slow  # three runs on a pty
def test_ci_and_no_progress_get_nothing_on_a_terminal(project):
    for env, flags in ((_environment(CI="true"), []), (_environment(), ["--no-progress"])):
        code, _, terminal = run_on_a_terminal(
            ["check", "--no-cache", "--jobs", "1", *flags, "."], project, env, until=None
        )
        assert code == 1 and terminal == ""


def test_only_a_terminal_outside_ci_wants_progress_unless_asked(monkeypatch):
    from nblint.run.progress import wanted

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    read_end, write_end = os.pipe()
    controller, terminal = os.openpty()
    with os.fdopen(write_end, "w") as pipe, os.fdopen(terminal, "w") as tty:
        assert (wanted(None, pipe), wanted(None, tty)) == (False, True)
        assert (wanted(True, pipe), wanted(False, tty)) == (True, False)
        monkeypatch.setenv("CI", "true")
        assert wanted(None, tty) is False
        monkeypatch.delenv("CI")
        monkeypatch.setenv("TERM", "dumb")
        assert wanted(None, tty) is False
    os.close(read_end)
    os.close(controller)


@pytest.mark.slow
def test_a_pipe_gets_nothing_from_a_long_run(project):
    """Longer than the 5 s a plain line would wait for: a pipe still gets nothing unless asked."""
    with stalled_run(["check", "--no-cache", "--jobs", "1", "."], project, _environment()) as run:
        run.wait_until_stalled()
        time.sleep(BEYOND_PLAIN_INTERVAL)
        run.release()
        _, stderr = run.process.communicate()
    assert run.process.returncode == 1 and stderr == b""


@pytest.mark.slow  # waits for the first plain line: 5 s
def test_asked_for_in_a_pipe_it_writes_plain_lines(project):
    """`--progress` in a CI log: a plain line every 5 s (PLAIN_INTERVAL), no carriage returns."""
    args = ["check", "--no-cache", "--jobs", "1", "--progress", "."]
    with stalled_run(args, project, _environment()) as run:
        first = run.process.stderr.readline().decode()  # the read is held until the first line is out
        run.release()
        stdout, rest = run.process.communicate()
    assert run.process.returncode == 1 and stdout.decode().endswith("(3 checked).\n")
    lines = (first + rest.decode()).splitlines(keepends=True)
    assert lines and "\r" not in "".join(lines)
    # On a loaded machine the rest of the run may outlast another interval: each line is still one of these.
    for line in lines:
        assert re.fullmatch(r"nblint: 0/3 notebooks checked; checking a_stalled\.ipynb \(\d+ s\)\n", line), lines
    assert re.fullmatch(r".*\(([5-9]|\d\d+) s\)\n", lines[0])  # not before PLAIN_INTERVAL


@pytest.mark.slow
def test_a_pool_run_shows_progress_too(project):
    shown = re.compile(r"nblint: [0-2]/3 notebooks checked; checking a_stalled\.ipynb")
    code, stdout, terminal = run_on_a_terminal(
        ["check", "--no-cache", "--jobs", "2", "."], project, _environment(), until=shown
    )
    assert code == 1 and "(3 checked)" in stdout
    assert shown.search(terminal), repr(terminal)
