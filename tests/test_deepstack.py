"""The long-lived deep-stack thread a pool worker checks its notebooks on."""

from __future__ import annotations

import threading

import pytest

from nblint.core.deepstack import DeepStackThread


def depth(n: int) -> int:
    return 0 if n == 0 else depth(n - 1) + 1


def test_calls_run_one_after_another_on_one_deep_thread():
    worker = DeepStackThread()
    names = {worker.call(lambda: threading.current_thread().name) for _ in range(50)}
    assert names == {"nblint-deep-stack"}
    assert worker.call(depth, 50_000) == 50_000  # far beyond the default recursion limit and C stack
    assert [worker.call(pow, 2, k) for k in range(5)] == [1, 2, 4, 8, 16]


def test_an_exception_reaches_the_caller_and_the_thread_goes_on():
    worker = DeepStackThread()
    with pytest.raises(ZeroDivisionError):
        worker.call(lambda: 1 / 0)
    assert worker.call(lambda: "still serving") == "still serving"


FIRST_CALL = """
import sys
from nblint.core.deepstack import call_with_deep_stack
def depth(n):
    return 0 if n == 0 else depth(n - 1) + 1
print(call_with_deep_stack(depth, 20_000))
"""


def test_the_first_call_runs_with_the_raised_limit():
    """The limit was raised after the thread started, so a call that ran first hit the default one (a
    notebook nested 50,000 deep was NB004 "too deep" or "no nbformat" from one run to the next)."""
    import subprocess
    import sys

    for _ in range(5):  # a fresh process each time: its limit is the default
        run = subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, timeout=60)
        assert (run.returncode, run.stdout.strip()) == (0, "20000"), run.stderr[-500:]
