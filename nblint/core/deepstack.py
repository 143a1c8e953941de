"""Run analysis on a thread with a deep stack.

libcst's visitors and code generator recurse once per level of nesting, and real notebooks hold
expressions thousands of terms long (a 2,000-term `[255]*8+[245]+...` list in a Kaggle notebook makes
ruff abort its run with a stack overflow). A thread with a large stack and a high recursion limit
lets such cells be analysed like any other, instead of dying with RecursionError or a segfault.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024  # address space only: pages are touched as the stack grows
RECURSION_LIMIT = 200_000


def call_with_deep_stack(function: Callable[..., T], *args, **kwargs) -> T:
    result: list = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(function(*args, **kwargs))
        except BaseException as exc:  # handed back to the caller's thread as is
            error.append(exc)

    previous_size = threading.stack_size()
    previous_limit = sys.getrecursionlimit()
    threading.stack_size(STACK_BYTES)
    sys.setrecursionlimit(max(previous_limit, RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=target, name="nblint-deep-stack")
        thread.start()
    finally:
        threading.stack_size(previous_size)
    thread.join()
    sys.setrecursionlimit(previous_limit)
    if error:
        raise error[0]
    return result[0]


class DeepStackThread:
    """One long-lived deep-stack thread that runs calls one at a time, for a process that makes many
    (a pool worker checks hundreds of notebooks). A fresh thread per call gets a fresh stack whose pages
    are faulted in and zeroed again, and fresh malloc arenas for libcst's native parser: on real
    notebooks that was ~10% more CPU than running them all on one thread."""

    def __init__(self) -> None:
        import queue

        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        previous_size = threading.stack_size()
        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))  # for the life of the process
        threading.stack_size(STACK_BYTES)
        try:
            self._thread = threading.Thread(target=self._serve, name="nblint-deep-stack", daemon=True)
            self._thread.start()
        finally:
            threading.stack_size(previous_size)

    def _serve(self) -> None:
        while True:
            function, args, kwargs, outcome, done = self._requests.get()
            try:
                outcome.append((True, function(*args, **kwargs)))
            except BaseException as exc:  # handed back to the caller's thread as is
                outcome.append((False, exc))
            done.set()

    def call(self, function: Callable[..., T], *args, **kwargs) -> T:
        outcome: list = []
        done = threading.Event()
        self._requests.put((function, args, kwargs, outcome, done))
        done.wait()
        succeeded, value = outcome[0]
        if not succeeded:
            raise value
        return value
